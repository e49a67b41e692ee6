/**
 * Thousands of generated requests to every route: random JSON, near-valid bodies built from the
 * route's own field names, garbage text, odd path segments and query strings. The server may refuse
 * them, but never with a 5xx, and every refusal is the one error body shape.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { apiRoutes } from "../src/server/app.ts";
import type { RouteDef } from "../src/server/route.ts";
import { systemActor } from "../src/store/store.ts";
import { type Caller, createHarness, type Harness } from "./support/api-harness.ts";

const runsPerRoute = 150;

function fieldNames(route: RouteDef): string[] {
  if (route.body === undefined) return ["name"];
  const json = z.toJSONSchema(route.body, { io: "input", unrepresentable: "any" }) as { properties?: object };
  return Object.keys(json.properties ?? {});
}

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    "payments",
    "owned",
    "staging",
    "available",
    "admin",
    `sha256:${"a".repeat(64)}`,
    "abcdef0",
    null,
  ),
  fc.integer(),
);

function bodyFor(route: RouteDef) {
  const names = fieldNames(route);
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc
      .dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 10 })), value, {
        maxKeys: names.length + 2,
      })
      .map((o) => JSON.stringify(o)),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
  );
}

const segment = fc.oneof(
  fc.constantFrom(
    "owned",
    "payments",
    "UPPER",
    "a".repeat(300),
    "rel_00000000000000000000000000ff",
    "..",
    "%00",
  ),
  fc.string({ minLength: 1, maxLength: 40 }),
);
const queryString = fc.oneof(
  fc.constant(""),
  fc.constantFrom(
    "?limit=0",
    "?limit=-1",
    "?limit=1e9",
    "?limit=2&cursor=!!",
    "?cursor=eyJrIjoxfQ",
    "?target=X",
  ),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
    .map((d) => `?${new URLSearchParams(d).toString()}`),
);

describe("fuzzing every route", () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
    await h.store.createApp(systemActor, { name: "owned", teamName: "payments", description: "" });
    await h.store.createTarget(systemActor, { name: "staging", kind: "channel" });
  });
  after(() => h.dispose());

  for (const route of apiRoutes) {
    test(`${route.method.toUpperCase()} ${route.path}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(segment, { minLength: 3, maxLength: 3 }),
          queryString,
          bodyFor(route),
          fc.constantFrom<Caller>("platform-admin", "admin", "viewer", "outsider"),
          async (segments, query, raw, caller) => {
            let i = 0;
            const path = route.path.replace(/:[A-Za-z]+/g, () => encodeURIComponent(segments[i++] ?? "x"));
            const response = await h.call(route.method.toUpperCase(), `${path}${query}`, {
              as: caller,
              ...(route.method === "get" ? {} : { raw }),
            });
            const text = await response.text();
            assert.ok(response.status < 500, `${response.status} for ${path}${query} ${raw}: ${text}`);
            if (response.status >= 400) {
              const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
              assert.match(body.error?.code ?? "", /^SLIPWAY_E_/);
              assert.ok(body.error?.message);
            }
          },
        ),
        { numRuns: runsPerRoute },
      );
    });
  }

  test("no internal error reached the log", () => {
    assert.deepEqual(h.logs, []);
  });
});
