/**
 * In a namespace several apps share, an app reaches only its own Secrets and account: RBAC that
 * reads every Secret there, a binding to edit or admin, or a reference to another app's Secret is
 * refused at its line — from the spec, a raw manifest or a patch alike. In a namespace of its own
 * the same spec renders.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { render } from "./render.ts";

const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: gitops } }]
channels:
  - { name: develop, cluster: local, namespace: "{team}-develop" }
  - { name: stable, cluster: local }
sharedSecrets:
  - { name: shop-db-app, team: commerce, apps: [cart] }
  - { name: finance-ledger, team: finance }
`,
  "slipway.platform.yaml",
);
const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image: { repository: registry.example.com/cart, tag: "1" }
`;

function objects(body: string, target = "develop") {
  return render({ app: parseAppSpec(HEAD + body, "slipway.yaml", platform), platform, target }).objects;
}
function problems(body: string, target = "develop"): Problem[] {
  try {
    objects(body, target);
  } catch (error) {
    assert.ok(error instanceof SlipwayError, String(error));
    return [...error.problems];
  }
  assert.fail("expected a refusal");
}

test("a Role reading every Secret of a shared namespace is refused at its rule; named for the app, or in its own namespace, it renders", () => {
  const body =
    "rbac:\n  rules:\n    - { apiGroups: [''], resources: [configmaps], verbs: [get] }\n    - { apiGroups: [''], resources: [secrets], verbs: [get, list] }\n";
  const [p] = problems(body);
  assert.equal(p?.path, "rbac.rules[1]");
  assert.equal(p?.line, 9);
  assert.match(
    p?.message ?? "",
    /get, list on secrets in namespace commerce-develop, which several apps share/,
  );
  assert.ok(objects(body, "stable").some((o) => o.kind === "Role"));
  objects(
    "secrets: [{ name: app, file: s.enc.yaml }]\nrbac:\n  rules:\n    - { apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [cart-app, cart--tls, shop-db-app] }\n",
  );
  const [other] = problems(
    "rbac:\n  rules:\n    - { apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [cart-api-keys] }\n",
  );
  assert.match(other?.message ?? "", /named cart-api-keys/);
});

test("rules that create pods, exec into them, mint tokens or match everything are refused in a shared namespace", () => {
  for (const rule of [
    "{ apiGroups: [''], resources: [pods], verbs: [create] }",
    "{ apiGroups: [''], resources: [pods/exec], verbs: [create] }",
    "{ apiGroups: [''], resources: [serviceaccounts/token], verbs: [create] }",
    "{ apiGroups: [apps], resources: [deployments], verbs: [patch] }",
    "{ apiGroups: ['*'], resources: ['*'], verbs: [get] }",
    "{ apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create] }",
  ]) {
    const [p] = problems(`rbac:\n  rules:\n    - ${rule}\n`);
    assert.equal(p?.path, "rbac.rules[0]", rule);
  }
  objects(
    "rbac:\n  rules:\n    - { apiGroups: [apps], resources: [deployments], verbs: [get, list, watch] }\n    - { apiGroups: [apps], resources: [deployments], verbs: [patch], resourceNames: [cart, cart--worker] }\n    - { apiGroups: [monitoring.coreos.com], resources: ['*'], verbs: ['*'] }\n",
  );
});

test("binding edit, admin or a system role in a shared namespace is refused; view is fine", () => {
  const [p] = problems("rbac:\n  clusterRoles: [view, edit]\n");
  assert.equal(p?.path, "rbac.clusterRoles[1]");
  assert.match(p?.message ?? "", /binds ClusterRole edit .* reads every app's Secrets/);
  for (const role of ["admin", "cluster-admin", "system:controller:replicaset-controller"])
    assert.equal(problems(`rbac:\n  clusterRoles: [${role}]\n`)[0]?.path, "rbac.clusterRoles[0]");
  objects("rbac:\n  clusterRoles: [view, system:aggregate-to-view]\n");
  objects("rbac:\n  clusterRoles: [edit]\n", "stable");
});

test("a pod reading another app's Secret in a shared namespace is refused at the reference; its own, or one the platform shares, is fine", () => {
  const [env] = problems("env:\n  DB: { secret: billing-db, key: password }\n");
  assert.equal(env?.path, "env.DB.secret");
  assert.equal(env?.line, 7);
  assert.match(
    env?.message ?? "",
    /reads Secret billing-db .*\(sharedSecrets: \[\{ name: billing-db, team: commerce, apps: \[cart\] \}\]/,
  );
  assert.equal(problems("envFrom: [{ secret: billing-env }]\n")[0]?.path, "envFrom[0].secret");
  assert.equal(
    problems(
      "volumes:\n  - { name: certs, mountPath: /etc/certs, projected: [{ secret: billing-tls }] }\n",
    )[0]?.path,
    "volumes[0].projected[0].secret",
  );
  assert.equal(
    problems("jobs:\n  migrate: { when: pre-deploy, env: { DB: { secret: billing-db, key: url } } }\n")[0]
      ?.path,
    "jobs.migrate.env.DB.secret",
  );
  // Named for the app, shared with it by the platform, or in its own namespace: fine.
  objects(
    "env:\n  A: { secret: cart--db-app, key: password }\n  B: { secret: shop-db-app, key: password }\n  C: { secret: cart, key: x }\nenvFrom: [{ secret: cart--env }]\nimagePullSecrets: [regcred]\n",
  );
  objects("env:\n  DB: { secret: billing-db, key: password }\n", "stable");
  // A grant to another team does not reach this one.
  assert.equal(problems("env:\n  L: { secret: finance-ledger, key: k }\n")[0]?.path, "env.L.secret");
});

test("raw manifests and patches are held to the same: a Role on Secrets, another app's account or Secret", () => {
  const [role] = problems(
    "manifests:\n  reader:\n    apiVersion: rbac.authorization.k8s.io/v1\n    kind: Role\n    metadata: { name: cart--reader }\n    rules: [{ apiGroups: [''], resources: [secrets], verbs: [list] }]\n",
  );
  assert.equal(role?.path, "manifests.reader");
  const [binding] = problems(
    "manifests:\n  bind:\n    apiVersion: rbac.authorization.k8s.io/v1\n    kind: RoleBinding\n    metadata: { name: cart--bind }\n    roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: billing }\n    subjects: [{ kind: ServiceAccount, name: cart, namespace: commerce-develop }]\n",
  );
  assert.match(binding?.message ?? "", /binds Role billing, which is not this app's/);
  const [patched] = problems(
    "ports: [{ name: http, port: 8080 }]\npatches:\n  steal:\n    target: { kind: Deployment }\n    strategicMerge:\n      spec: { template: { spec: { serviceAccountName: billing, volumes: [{ name: x, secret: { secretName: billing-db } }] } } }\n",
  );
  assert.equal(patched?.path, "patches.steal.strategicMerge");
  const messages = problems(
    "ports: [{ name: http, port: 8080 }]\npatches:\n  steal:\n    target: { kind: Deployment }\n    strategicMerge:\n      spec: { template: { spec: { serviceAccountName: billing, volumes: [{ name: x, secret: { secretName: billing-db } }] } } }\n",
  ).map((p) => p.message);
  assert.ok(messages.some((m) => /runs as ServiceAccount billing/.test(m)));
  assert.ok(messages.some((m) => /reads Secret billing-db/.test(m)));
});
