/** What every object builder needs: the resolved spec, the target, the image and the names. */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import type { Platform } from "../spec/platform-schema.ts";
import type { ImageRef } from "./image.ts";
import type { LabelSet } from "./labels.ts";
import { dnsLabel, partName } from "./names.ts";
import type { RenderTarget } from "./target.ts";

export interface RenderContext {
  readonly spec: AppSpec;
  readonly platform: Platform;
  readonly target: RenderTarget;
  readonly image: ImageRef;
  readonly labels: LabelSet;
  readonly names: {
    readonly app: string;
    readonly serviceAccount: string;
    readonly configMap: string;
    secret(name: string): string;
  };
}

export function namesFor(spec: AppSpec) {
  return {
    app: spec.name,
    serviceAccount: spec.serviceAccount?.name ?? spec.name,
    configMap: dnsLabel(`${spec.name}-config`),
    // `<app>-<name>` is one to one only while names hold no dash (app `cart` secret `api-keys`
    // and app `cart-api` secret `keys` would meet); a dashed name gets `<app>--<name>`.
    secret: (name: string) =>
      name.includes("-") ? partName(spec.name, name) : dnsLabel(`${spec.name}-${name}`),
  };
}

export function metadata(
  ctx: RenderContext,
  name: string,
  annotations?: Record<string, string>,
): KubeObject["metadata"] {
  return {
    name,
    namespace: ctx.target.namespace,
    labels: { ...ctx.labels.common },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** The port a probe or route names: by name, by number, or the first port. */
export function resolvePort(
  ctx: RenderContext,
  ref: string | number | undefined,
  field: string,
): { name: string; port: number } {
  const ports = ctx.spec.ports ?? [];
  const found = ref === undefined ? ports[0] : ports.find((p) => p.name === ref || p.port === ref);
  if (!found) {
    throw new RenderProblem(
      field,
      ref === undefined
        ? "needs a port, but the app declares no ports (add `ports:`)"
        : `names port \`${ref}\`, which is not declared under ports (declared: ${ports.map((p) => p.name).join(", ") || "none"})`,
    );
  }
  return { name: found.name, port: found.port };
}

/** A spec field the renderer cannot place; the renderer turns it into a located problem. */
export class RenderProblem extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Several such fields at once, so that a user sees every refused route in one run. */
export class RenderProblems extends Error {
  readonly problems: readonly RenderProblem[];
  constructor(problems: readonly RenderProblem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.problems = problems;
  }
}
