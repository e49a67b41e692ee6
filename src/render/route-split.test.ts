/**
 * Routes with settings of their own become objects of their own (route-groups.ts); the same host
 * and path in two of those objects is as wrong as in one — ingress-nginx's admission refuses the
 * second Ingress — so it is refused at the later route too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { render } from "./render.ts";

const platform = parsePlatform(
  "apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: local, gitops: { directory: gitops } }]\nchannels: [{ name: develop, cluster: local, domain: develop.example.com }]\n",
  "slipway.platform.yaml",
);
const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: shop
team: t
image: { repository: registry.example.com/shop, tag: "1" }
ports: [{ name: http, port: 8080 }, { name: grpc, port: 9090 }]
`;
const renderBody = (body: string) =>
  render({ app: parseAppSpec(HEAD + body, "slipway.yaml", platform), platform, target: "develop" });

test("the same host and path in two route objects is refused at the later route", () => {
  let error: unknown;
  try {
    renderBody(
      "routes:\n  - { paths: [/api], port: http }\n  - { paths: [/api], port: http, annotations: { nginx.ingress.kubernetes.io/proxy-body-size: 8m } }\n",
    );
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SlipwayError, String(error));
  const [p] = error.problems;
  assert.equal(p?.path, "routes[1].paths[0]");
  assert.equal(p?.line, 9);
  assert.match(
    p?.message ?? "",
    /shop\.develop\.example\.com and path \/api are already routed by routes\[0\]/,
  );
  // Another path, or another host, is fine: two Ingresses.
  const ok = renderBody(
    "routes:\n  - { paths: [/api], port: http }\n  - { paths: [/upload], port: http, annotations: { nginx.ingress.kubernetes.io/proxy-body-size: 8m } }\n",
  ).objects.filter((o) => o.kind === "Ingress");
  assert.deepEqual(
    ok.map((o) => o.metadata.name),
    ["shop", "shop--route-1"],
  );
});
