/**
 * The escape hatch, applied after rendering: the app's raw `manifests` join the rendered objects,
 * then its `patches` change them, in the order written. What comes out is held to what every
 * rendered object is held to — its Kubernetes schema here, policy after — and may not leave the
 * app's scope:
 *
 * - a manifest lands in the target's namespace with the app's labels; a cluster-scoped kind or
 *   another namespace needs the platform file's `rawManifests.allow`;
 * - a manifest is named `<app>` or `<app>--<anything>` (app names hold no `--`), so in a shared
 *   namespace it can never be another app's object, and it may not redo an object Slipway renders;
 * - a patch reaches only this app's objects, must match at least one (a patch that silently
 *   matches nothing is a change that silently did not happen), and may not change an object's
 *   kind, name or namespace, its `slipway.dev/*` labels, or put values into a Secret.
 *
 * Every refusal is a RenderProblem at the manifest's or patch's own field, so it is reported at
 * its line in slipway.yaml (or in the environment's override that wrote it).
 */
import jsonPatch from "fast-json-patch";
import { KEEP_ANNOTATION, type KubeObject, objectRef } from "../core/kube-object.ts";
import { isClusterScoped } from "../policy/kinds.ts";
import { SLIPWAY_LABEL_PREFIX } from "../spec/extras-schema.ts";
import { isPlainMap } from "../spec/merge.ts";
import { type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { hasSchema, schemaProblems } from "./k8s-schema.ts";
import { placeByKind } from "./parts.ts";
import { sharedNamespaceProblems } from "./shared-namespace.ts";
import { strategicMerge } from "./strategic-merge.ts";

type Patch = NonNullable<RenderContext["spec"]["patches"]>[string];

export function applyExtras(
  ctx: RenderContext,
  rendered: readonly KubeObject[],
  kindOrder: readonly string[],
): KubeObject[] {
  const problems: RenderProblem[] = [];
  /** Where each object that is not Slipway's own work came from: the field to blame. */
  const origin = new Map<KubeObject, string>();
  const added: KubeObject[] = [];
  for (const [name, raw] of Object.entries(ctx.spec.manifests ?? {})) {
    const field = `manifests.${name}`;
    const object = scopedManifest(ctx, raw as unknown as KubeObject, field, rendered, problems);
    if (object === undefined) continue;
    added.push(object);
    origin.set(object, field);
  }
  let objects = placeByKind(rendered, added, kindOrder);
  for (const [name, patch] of Object.entries(ctx.spec.patches ?? {})) {
    const field = `patches.${name}`;
    const matches = objects.filter(
      (o) => o.kind === patch.target.kind && (patch.target.name ?? o.metadata.name) === o.metadata.name,
    );
    if (matches.length === 0) {
      problems.push(new RenderProblem(`${field}.target`, noMatch(patch, objects)));
      continue;
    }
    objects = objects.map((object) => {
      if (!matches.includes(object)) return object;
      const patched = patchOne(object, patch, field, problems);
      if (patched === undefined) return object;
      origin.set(patched, `${field}.${patch.strategicMerge === undefined ? "jsonPatch" : "strategicMerge"}`);
      return patched;
    });
  }
  for (const object of objects) {
    const field = origin.get(object);
    if (field === undefined || !hasSchema(object)) continue;
    const invalid = schemaProblems(object);
    if (invalid.length > 0) {
      const name = field.split(".")[1];
      const what = field.startsWith("patches.") ? `patch \`${name}\` makes` : `manifest \`${name}\`:`;
      problems.push(
        new RenderProblem(field, `${what} ${objectRef(object)} invalid: ${invalid.map(stripRef).join("; ")}`),
      );
    }
  }
  problems.push(...sharedNamespaceProblems(ctx, objects, origin));
  if (problems.length > 0) throw new RenderProblems(problems);
  return objects;
}

function scopedManifest(
  ctx: RenderContext,
  raw: KubeObject,
  field: string,
  rendered: readonly KubeObject[],
  problems: RenderProblem[],
): KubeObject | undefined {
  const app = ctx.spec.name;
  const { kind } = raw;
  const namespace = raw.metadata.namespace;
  const allowed = (ctx.platform.rawManifests?.allow ?? []).find(
    (a) =>
      a.kind === kind &&
      (a.team === undefined || a.team === ctx.spec.team) &&
      (a.apps === undefined || a.apps.includes(app)),
  );
  const grant = `rawManifests.allow: [{ kind: ${kind}, team: ${ctx.spec.team}, apps: [${app}] }]`;
  const before = problems.length;
  // A custom resource's scope is the cluster's to say, not the renderer's: a cluster-scoped kind
  // named like a namespaced one (Calico's GlobalNetworkPolicy, Karpenter's NodePool) would be
  // created cluster-wide. So a kind Slipway has no schema for needs the platform's word.
  if (!hasSchema(raw) && allowed === undefined) {
    problems.push(
      new RenderProblem(
        `${field}.kind`,
        `${kind} (${raw.apiVersion}) is not a built-in kind, so Slipway cannot tell whether it is cluster-scoped: the platform file must allow it (${grant})`,
      ),
    );
    return undefined;
  }
  const clusterScoped = isClusterScoped(kind);
  if (clusterScoped && allowed === undefined) {
    problems.push(
      new RenderProblem(
        `${field}.kind`,
        `${kind} is cluster-scoped: an app's manifests stay in its namespace unless the platform file allows the kind (${grant})`,
      ),
    );
  }
  if (
    !clusterScoped &&
    namespace !== undefined &&
    namespace !== ctx.target.namespace &&
    !allowed?.namespaces?.includes(namespace)
  ) {
    problems.push(
      new RenderProblem(
        `${field}.metadata.namespace`,
        `namespace ${namespace} is not the app's (${ctx.target.namespace}): leave namespace out, or ask for ${kind} in ${namespace} in the platform file (rawManifests.allow: [{ kind: ${kind}, namespaces: [${namespace}], team: ${ctx.spec.team} }])`,
      ),
    );
  }
  const name = raw.metadata.name;
  if (name !== app && !name.startsWith(`${app}--`)) {
    problems.push(
      new RenderProblem(
        `${field}.metadata.name`,
        `name it \`${app}\` or \`${app}--<anything>\` (e.g. \`${app}--${name.slice(0, 30)}\`): app names hold no \`--\`, so no other app's object has such a name`,
      ),
    );
  }
  const ownNamespace = clusterScoped ? undefined : (namespace ?? ctx.target.namespace);
  const twin = rendered.find(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ownNamespace,
  );
  if (twin !== undefined) {
    problems.push(
      new RenderProblem(
        `${field}.metadata.name`,
        `Slipway renders ${objectRef(twin)} already: change it with a patch (patches: { …: { target: { kind: ${kind}, name: ${name} }, strategicMerge: … } })`,
      ),
    );
  }
  if (problems.length > before) return undefined;
  const object = structuredClone(raw);
  const { namespace: _written, ...meta } = object.metadata;
  const annotations =
    kind === "PersistentVolumeClaim" && meta.annotations?.[KEEP_ANNOTATION] === undefined
      ? { ...meta.annotations, [KEEP_ANNOTATION]: "true" }
      : meta.annotations;
  object.metadata = {
    ...meta,
    ...(ownNamespace === undefined ? {} : { namespace: ownNamespace }),
    labels: { ...meta.labels, ...ctx.labels.common },
    ...(annotations === undefined ? {} : { annotations }),
  };
  return object;
}

function patchOne(
  object: KubeObject,
  patch: Patch,
  field: string,
  problems: RenderProblem[],
): KubeObject | undefined {
  let result: unknown;
  if (patch.strategicMerge !== undefined) {
    result = strategicMerge(object, patch.strategicMerge);
  } else {
    // One operation at a time: the library reports every failure as operation 0.
    result = structuredClone(object);
    for (const [index, operation] of (patch.jsonPatch ?? []).entries()) {
      try {
        result = jsonPatch.applyOperation(
          result,
          operation as jsonPatch.Operation,
          true,
          true,
          true,
          index,
        ).newDocument;
      } catch (error) {
        if (!(error instanceof jsonPatch.JsonPatchError)) throw error;
        problems.push(
          new RenderProblem(
            `${field}.jsonPatch[${index}]`,
            `on ${objectRef(object)}: ${patchErrorText(error)}`,
          ),
        );
        return undefined;
      }
    }
  }
  if (!isPlainMap(result) || !isPlainMap(result.metadata)) {
    problems.push(
      new RenderProblem(field, `turns ${objectRef(object)} into something that is not an object`),
    );
    return undefined;
  }
  const patched = result as KubeObject;
  const refusal = scopeChange(object, patched);
  if (refusal !== undefined) {
    problems.push(new RenderProblem(field, `may not ${refusal} (${objectRef(object)})`));
    return undefined;
  }
  return patched;
}

/** What a patch changed that it may not, or undefined. */
function scopeChange(before: KubeObject, after: KubeObject): string | undefined {
  for (const key of ["apiVersion", "kind"] as const) if (after[key] !== before[key]) return `change ${key}`;
  for (const key of ["name", "namespace"] as const)
    if (after.metadata[key] !== before.metadata[key]) return `change metadata.${key}`;
  if (slipwayLabels(before).join("\n") !== slipwayLabels(after).join("\n"))
    return `change the ${SLIPWAY_LABEL_PREFIX}* labels: ownership, pruning and policy rest on them`;
  if (before.kind === "Secret") {
    for (const key of ["data", "stringData"])
      if (JSON.stringify(after[key]) !== JSON.stringify(before[key]))
        return `put values into a Secret: they belong in a SOPS file under secrets:`;
  }
  return undefined;
}

/** Every `slipway.dev/*` entry of every labels or matchLabels map in the object, with its path. */
function slipwayLabels(node: unknown, path = ""): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => slipwayLabels(item, `${path}[${i}]`));
  if (!isPlainMap(node)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if ((key === "labels" || key === "matchLabels") && isPlainMap(value)) {
      for (const [label, v] of Object.entries(value))
        if (label.startsWith(SLIPWAY_LABEL_PREFIX)) out.push(`${path}.${key}.${label}=${String(v)}`);
    } else out.push(...slipwayLabels(value, `${path}.${key}`));
  }
  return out.sort();
}

function noMatch(patch: Patch, objects: readonly KubeObject[]): string {
  const wanted = patch.target.name ? `${patch.target.kind} ${patch.target.name}` : `a ${patch.target.kind}`;
  const sameKind = objects.filter((o) => o.kind === patch.target.kind).map((o) => o.metadata.name);
  const known = sameKind.length
    ? `its ${patch.target.kind} objects: ${sameKind.join(", ")}`
    : `its kinds: ${[...new Set(objects.map((o) => o.kind))].join(", ")}`;
  return `matches no object: the app renders no ${wanted} here (${known}); a patch reaches only the app's own objects and manifests`;
}

/** schemaProblems lines start with the object's ref, which the message already names. */
function stripRef(line: string): string {
  return line.replace(/^[^:]+: /, "");
}

function patchErrorText(error: InstanceType<typeof jsonPatch.JsonPatchError>): string {
  const op = error.operation as { op?: string; path?: string } | undefined;
  const what = op ? `\`${op.op} ${op.path}\`` : "the operation";
  switch (error.name) {
    case "TEST_OPERATION_FAILED":
      return `${what} failed: the value there is not the one the test expects`;
    case "OPERATION_PATH_UNRESOLVABLE":
    case "OPERATION_FROM_UNRESOLVABLE":
      return `${what}: nothing is at that path (add creates only the last step of a path)`;
    case "OPERATION_PATH_ILLEGAL_ARRAY_INDEX":
    case "OPERATION_VALUE_OUT_OF_BOUNDS":
      return `${what}: the list index is not valid there`;
    default:
      return `${what}: ${error.message.split("\n")[0]}`;
  }
}
