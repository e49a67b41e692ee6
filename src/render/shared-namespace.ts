/**
 * Tenancy inside a namespace that several apps share (a channel or preview namespace pattern
 * without `{app}`, such as `{team}-develop`, or another namespace the platform lets raw manifests
 * into). Kubernetes draws no line between the apps of one namespace: a pod can read any Secret of
 * its namespace by name, and a ServiceAccount that may read Secrets, create pods, exec into them
 * or mint tokens there can reach every app's credentials. So in a shared namespace an app may:
 *
 * - read only its own Secrets — those it renders, and Secrets named `<app>` or `<app>--…` (an
 *   operator's or External Secrets', named for the app: app names hold no `--`, so no other app's
 *   object has such a name) — or a Secret the platform file shares with it (`sharedSecrets`);
 * - run only as its own ServiceAccount;
 * - grant its account, through a Role, access to Secrets, pod creation, exec or tokens only for
 *   objects named as its own (`resourceNames`);
 * - bind no ClusterRole that reaches Secrets (admin, edit, cluster-admin, system roles but
 *   system:aggregate-to-view), nor another app's Role.
 *
 * In a namespace of its own (the pattern holds `{app}`) all of that is the app's business. The
 * check runs on the final objects, after the escape hatch, so a raw manifest or a patch is held to
 * it too; a problem is reported at the field that wrote it.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { type RenderContext, RenderProblem } from "./context.ts";
import { DEFAULT_CHANNEL_NAMESPACE, DEFAULT_PREVIEW_NAMESPACE } from "./target.ts";

type Json = Record<string, unknown>;
type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** Resources any access to which reads credentials, with their API group. */
const CREDENTIALS: Readonly<Record<string, string>> = {
  secrets: "",
  "serviceaccounts/token": "",
  "pods/exec": "",
  "pods/attach": "",
};
/** Resources whose writing runs code as any account, or with any Secret, of the namespace. */
const WORKLOADS: Readonly<Record<string, string>> = {
  pods: "",
  "pods/ephemeralcontainers": "",
  replicationcontrollers: "",
  serviceaccounts: "",
  deployments: "apps",
  replicasets: "apps",
  statefulsets: "apps",
  daemonsets: "apps",
  jobs: "batch",
  cronjobs: "batch",
  roles: "rbac.authorization.k8s.io",
  rolebindings: "rbac.authorization.k8s.io",
};
const WRITE_VERBS = new Set(["create", "update", "patch", "*", "bind", "escalate", "impersonate"]);
/** ClusterRoles whose binding in a namespace reaches the Secrets of every app there. */
const BROAD_CLUSTER_ROLES = new Set(["admin", "edit", "cluster-admin"]);
const SAFE_SYSTEM_ROLES = new Set(["system:aggregate-to-view"]);
const POD_KINDS = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]);

/** Whether the target's namespace pattern leaves room for other apps in the same namespace. */
export function sharesNamespace(ctx: RenderContext): boolean {
  const pattern =
    ctx.target.kind === "preview"
      ? (ctx.platform.previews?.namespace ?? DEFAULT_PREVIEW_NAMESPACE)
      : (ctx.platform.channels.find((c) => c.name === ctx.target.environment)?.namespace ??
        DEFAULT_CHANNEL_NAMESPACE);
  return !pattern.includes("{app}");
}

export function sharedNamespaceProblems(
  ctx: RenderContext,
  objects: readonly KubeObject[],
  origin: ReadonlyMap<KubeObject, string>,
): RenderProblem[] {
  const app = ctx.spec.name;
  const shared = sharesNamespace(ctx);
  const inShared = (o: KubeObject) =>
    o.metadata.namespace !== undefined && (shared || o.metadata.namespace !== ctx.target.namespace);
  const rendered = new Set(objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name));
  const grants = new Set(
    (ctx.platform.sharedSecrets ?? [])
      .filter((g) => (g.team ?? ctx.spec.team) === ctx.spec.team && (g.apps ?? [app]).includes(app))
      .map((g) => g.name),
  );
  const named = (name: string) => name === app || name.startsWith(`${app}--`);
  const ownSecret = (name: string) => rendered.has(name) || named(name) || grants.has(name);
  const problems: RenderProblem[] = [];
  const refuse = (o: KubeObject, fallback: string, message: string) =>
    problems.push(new RenderProblem(origin.get(o) ?? fallback, message));
  const where = (o: KubeObject) =>
    `namespace ${o.metadata.namespace}, which ${shared && o.metadata.namespace === ctx.target.namespace ? "several apps share (its pattern has no {app})" : "is not the app's own"}`;

  for (const o of objects.filter(inShared)) {
    if (o.kind === "Role") {
      ((o.rules as Rule[] | undefined) ?? []).forEach((rule, i) => {
        const why = ruleReach(rule, ownSecret, named);
        if (why !== undefined)
          refuse(
            o,
            `rbac.rules[${i}]`,
            `grants ${why} in ${where(o)}: that reaches other apps' Secrets; list the objects in resourceNames (${app}, ${app}--…), or give the app a namespace of its own`,
          );
      });
    }
    if (o.kind === "RoleBinding") {
      const ref = o.roleRef as { kind?: string; name?: string } | undefined;
      const name = ref?.name ?? "";
      const index = (ctx.spec.rbac?.clusterRoles ?? []).indexOf(name);
      if (ref?.kind === "ClusterRole" && broadClusterRole(name))
        refuse(
          o,
          index === -1 ? "rbac.clusterRoles" : `rbac.clusterRoles[${index}]`,
          `binds ClusterRole ${name} in ${where(o)}: it reads every app's Secrets there; bind view, or write the rules the app needs under rbac.rules`,
        );
      if (ref?.kind === "Role" && !named(name) && name !== ctx.names.serviceAccount)
        refuse(
          o,
          "rbac",
          `binds Role ${name}, which is not this app's (its Roles are named ${app} or ${app}--…), in ${where(o)}`,
        );
    }
    if (POD_KINDS.has(o.kind)) {
      const pod = podSpecOf(o);
      if (pod === undefined) continue;
      const account = pod.serviceAccountName;
      if (typeof account === "string" && account !== ctx.names.serviceAccount && !named(account))
        refuse(
          o,
          "serviceAccount",
          `runs as ServiceAccount ${account}, which is not this app's, in ${where(o)}`,
        );
      for (const secret of secretRefs(pod)) {
        if (ownSecret(secret)) continue;
        refuse(
          o,
          specFieldOf(ctx.spec, secret) ?? "secrets",
          `reads Secret ${secret} in ${where(o)}, and it is not this app's: name it ${app}--… (e.g. ${app}--${secret.slice(0, 30)}) where it is written, or have the platform file share it (sharedSecrets: [{ name: ${secret}, team: ${ctx.spec.team}, apps: [${app}] }])`,
        );
      }
    }
  }
  return dedupe(problems);
}

/** What `rule` grants beyond the app's own objects, in words, or undefined. */
function ruleReach(
  rule: Rule,
  ownSecret: (name: string) => boolean,
  named: (name: string) => boolean,
): string | undefined {
  const groups = rule.apiGroups ?? [];
  const verbs = rule.verbs ?? [];
  const names = rule.resourceNames ?? [];
  const inGroup = (group: string | undefined) =>
    group !== undefined && (groups.includes("*") || groups.includes(group));
  const writes = verbs.some((v) => WRITE_VERBS.has(v));
  for (const resource of rule.resources ?? []) {
    const risky =
      resource === "*"
        ? Object.values(CREDENTIALS).some(inGroup) || (writes && Object.values(WORKLOADS).some(inGroup))
        : inGroup(CREDENTIALS[resource]) || (writes && inGroup(WORKLOADS[resource]));
    if (!risky) continue;
    const own = resource === "secrets" ? ownSecret : named;
    if (names.length > 0 && names.every(own)) continue;
    return `${verbs.join(", ")} on ${resource}${names.length ? ` named ${names.join(", ")}` : ""}`;
  }
  return undefined;
}

function broadClusterRole(name: string): boolean {
  return BROAD_CLUSTER_ROLES.has(name) || (name.startsWith("system:") && !SAFE_SYSTEM_ROLES.has(name));
}

function podSpecOf(o: KubeObject): Json | undefined {
  const spec = o.spec as Json | undefined;
  if (o.kind === "Pod") return spec;
  if (o.kind === "CronJob") return dig(spec, "jobTemplate", "spec", "template", "spec");
  return dig(spec, "template", "spec");
}

function dig(node: unknown, ...path: string[]): Json | undefined {
  let at = node;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Json)[key];
  }
  return typeof at === "object" && at !== null ? (at as Json) : undefined;
}

/** Every Secret a pod reads: env keys, envFrom, secret and projected volumes. */
function secretRefs(pod: Json): string[] {
  const out: string[] = [];
  const containers = [
    ...((pod.initContainers as Json[] | undefined) ?? []),
    ...((pod.containers as Json[] | undefined) ?? []),
  ];
  for (const c of containers) {
    for (const e of (c.env as Json[] | undefined) ?? []) {
      const name = dig(e, "valueFrom", "secretKeyRef")?.name;
      if (typeof name === "string") out.push(name);
    }
    for (const e of (c.envFrom as Json[] | undefined) ?? []) {
      const name = dig(e, "secretRef")?.name;
      if (typeof name === "string") out.push(name);
    }
  }
  for (const v of (pod.volumes as Json[] | undefined) ?? []) {
    const name = dig(v, "secret")?.secretName;
    if (typeof name === "string") out.push(name);
    for (const source of (dig(v, "projected")?.sources as Json[] | undefined) ?? []) {
      const projected = dig(source, "secret")?.name;
      if (typeof projected === "string") out.push(projected);
    }
  }
  return [...new Set(out)];
}

/** Where slipway.yaml names Secret `name` (`env.DB_PASSWORD`, `envFrom[0]`, `volumes[1].projected[0]`). */
function specFieldOf(spec: unknown, name: string, path = ""): string | undefined {
  if (Array.isArray(spec)) {
    for (const [i, item] of spec.entries()) {
      const found = specFieldOf(item, name, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof spec !== "object" || spec === null) return undefined;
  const node = spec as Json;
  if (node.secret === name) return `${path}.secret`.replace(/^\./, "");
  for (const [key, value] of Object.entries(node)) {
    if (key === "manifests" || key === "patches") continue;
    const found = specFieldOf(value, name, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

function dedupe(problems: readonly RenderProblem[]): RenderProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
