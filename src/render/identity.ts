/** Namespace (previews own theirs) and ServiceAccount (no token automount unless asked). */
import type { KubeObject } from "../core/kube-object.ts";
import { metadata, type RenderContext } from "./context.ts";

export function namespace(ctx: RenderContext): KubeObject | undefined {
  if (!ctx.target.ownsNamespace) return undefined;
  const { namespace: _omit, ...meta } = metadata(ctx, ctx.target.namespace);
  return { apiVersion: "v1", kind: "Namespace", metadata: meta };
}

export function serviceAccount(ctx: RenderContext): KubeObject {
  const sa = ctx.spec.serviceAccount ?? {};
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(ctx, ctx.names.serviceAccount, sa.annotations),
    automountServiceAccountToken: sa.automountToken ?? false,
  };
}
