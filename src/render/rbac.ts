/**
 * RBAC for the app's ServiceAccount: a Role in its namespace (`rbac.rules`), bindings in its
 * namespace to existing ClusterRoles (`rbac.clusterRoles`, e.g. `view`), and — only where the
 * platform file grants it to the app's team (`rbac.clusterRules`) — a ClusterRole across the cluster.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { metadata, type RenderContext, RenderProblem } from "./context.ts";
import { asDnsLabel } from "./names.ts";

type Rule = NonNullable<NonNullable<import("../spec/app-schema.ts").AppSpec["rbac"]>["rules"]>[number];

export function rbacObjects(ctx: RenderContext): KubeObject[] {
  const rbac = ctx.spec.rbac;
  if (!rbac) return [];
  const sa = ctx.names.serviceAccount;
  const subject = [{ kind: "ServiceAccount", name: sa, namespace: ctx.target.namespace }];
  const out: KubeObject[] = [];
  if (rbac.rules?.length) {
    out.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(ctx, sa),
      rules: rbac.rules.map(rule),
    });
    out.push(binding(ctx, "RoleBinding", sa, { kind: "Role", name: sa }, subject));
  }
  for (const role of [...new Set(rbac.clusterRoles ?? [])].sort()) {
    out.push(
      binding(ctx, "RoleBinding", asDnsLabel(`${sa}--${role}`), { kind: "ClusterRole", name: role }, subject),
    );
  }
  if (rbac.clusterRules?.length) {
    refuseUngranted(ctx);
    // Cluster-wide names: the namespace and the account together are one app in one target.
    const name = asDnsLabel(`${ctx.target.namespace}--${sa}`);
    const { namespace: _ns, ...meta } = metadata(ctx, name);
    out.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: meta,
      rules: rbac.clusterRules.map(rule),
    });
    const { namespace: _ns2, ...bindingMeta } = metadata(ctx, name);
    out.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: bindingMeta,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: subject,
    });
  }
  return out;
}

function binding(
  ctx: RenderContext,
  kind: string,
  name: string,
  role: { kind: string; name: string },
  subjects: Record<string, string>[],
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: metadata(ctx, name),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...role },
    subjects,
  };
}

function rule(r: Rule): Record<string, unknown> {
  return {
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames?.length ? { resourceNames: [...r.resourceNames] } : {}),
  };
}

function refuseUngranted(ctx: RenderContext): void {
  const { name, team } = ctx.spec;
  const grants = ctx.platform.rbac?.clusterRules ?? [];
  const granted = grants.some((g) => g.team === team && (g.apps === undefined || g.apps.includes(name)));
  if (!granted) {
    throw new RenderProblem(
      "rbac.clusterRules",
      `cluster-wide permissions need a grant in the platform file (rbac.clusterRules: [{ team: ${team}, apps: [${name}] }]); for permissions in the app's own namespace use rbac.rules`,
    );
  }
}
