/**
 * A container's environment: values written in the spec, values read at run time (a key of a
 * Secret or ConfigMap Slipway does not own, the downward API, a resource limit), and whole
 * Secrets or ConfigMaps through `envFrom` — the app's own secrets first, then the spec's list.
 */
import type { AppSpec } from "../spec/app-schema.ts";
import type { RenderContext } from "./context.ts";

type EnvMap = NonNullable<AppSpec["env"]>;
type EnvValue = EnvMap[string];
type Json = Record<string, unknown>;

/** Sorted by name, so the rendered order never depends on how the map was written or merged. */
export function envVars(env: EnvMap | undefined): Json[] {
  return Object.entries(env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => envVar(name, value));
}

function envVar(name: string, value: EnvValue): Json {
  if (typeof value === "string") return { name, value };
  const optional = value.optional !== undefined ? { optional: value.optional } : {};
  if (value.secret !== undefined)
    return { name, valueFrom: { secretKeyRef: { name: value.secret, key: value.key, ...optional } } };
  if (value.configMap !== undefined)
    return { name, valueFrom: { configMapKeyRef: { name: value.configMap, key: value.key, ...optional } } };
  if (value.field !== undefined) return { name, valueFrom: { fieldRef: { fieldPath: value.field } } };
  return {
    name,
    valueFrom: {
      resourceFieldRef: { resource: value.resource, ...(value.divisor ? { divisor: value.divisor } : {}) },
    },
  };
}

/** The app's secrets (those with `env` on) and the spec's `envFrom`, in that order. */
export function envFromSources(ctx: RenderContext): Json[] {
  const own = (ctx.spec.secrets ?? [])
    .filter((s) => s.env !== false)
    .map((s) => ({ secretRef: { name: ctx.names.secret(s.name) } }));
  const refs = (ctx.spec.envFrom ?? []).map((s) => {
    const ref = {
      name: (s.secret ?? s.configMap)!,
      ...(s.optional !== undefined ? { optional: s.optional } : {}),
    };
    return {
      ...(s.prefix ? { prefix: s.prefix } : {}),
      ...(s.secret !== undefined ? { secretRef: ref } : { configMapRef: ref }),
    };
  });
  return [...own, ...refs];
}
