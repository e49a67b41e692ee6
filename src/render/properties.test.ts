/** Properties of the renderer over generated apps: deterministic, valid names, schema-valid objects. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultPlatform, parseAppSpec } from "../spec/parse.ts";
import { generatedAppYaml } from "./generate-app.ts";
import { schemaProblems } from "./k8s-schema.ts";
import { dnsLabel, labelValue } from "./names.ts";
import { render } from "./render.ts";
import { objectsToYaml } from "./yaml-output.ts";

const platform = defaultPlatform();
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

test("rendering is deterministic, names are DNS labels and every object passes its schema", () => {
  fc.assert(
    fc.property(
      fc.nat(100_000),
      fc.constantFrom(
        "develop",
        "stable",
        "preview:Feature/JIRA-1234_a-very-long-branch-name-that-goes-on-and-on",
      ),
      (index, target) => {
        const app = parseAppSpec(generatedAppYaml(index), `gen-${index}.yaml`, platform);
        const first = render({ app, platform, target });
        const second = render({ app, platform, target });
        assert.equal(objectsToYaml(first.objects), objectsToYaml(second.objects));
        for (const object of first.objects) {
          assert.match(object.metadata.name, DNS_LABEL);
          if (object.metadata.namespace) assert.match(object.metadata.namespace, DNS_LABEL);
          for (const value of Object.values(object.metadata.labels ?? {})) assert.match(value, LABEL_VALUE);
          assert.deepEqual(schemaProblems(object), []);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("environment overrides reach the rendered objects: maps merge, lists replace, null removes", () => {
  const app = parseAppSpec(generatedAppYaml(7), "gen.yaml", platform);
  const deployment = (target: string) =>
    render({ app, platform, target }).objects.find((o) => o.kind === "Deployment")!;
  const kinds = (target: string) => render({ app, platform, target }).objects.map((o) => o.kind);
  const limits = (target: string) =>
    (
      deployment(target).spec as {
        template: { spec: { containers: { resources: { limits: unknown; requests: unknown } }[] } };
      }
    ).template.spec.containers[0]!.resources;
  assert.deepEqual(limits("stable").limits, { memory: "2Gi" });
  assert.deepEqual(
    limits("stable").requests,
    limits("develop").requests,
    "requests are inherited where stable does not override",
  );
  if (app.spec.autoscaling) {
    assert.ok(kinds("develop").includes("HorizontalPodAutoscaler"));
    assert.ok(!kinds("preview:x").includes("HorizontalPodAutoscaler"), "autoscaling: null removes the HPA");
  }
});

test("long names are cut to 63 characters with a stable hash suffix, never colliding", () => {
  const a = dnsLabel(`${"a".repeat(70)}-one`);
  const b = dnsLabel(`${"a".repeat(70)}-two`);
  assert.equal(a.length <= 63 && b.length <= 63, true);
  assert.notEqual(a, b);
  assert.equal(a, dnsLabel(`${"a".repeat(70)}-one`));
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      assert.match(dnsLabel(text), DNS_LABEL);
      assert.match(labelValue(`x${text}x`), LABEL_VALUE);
    }),
  );
});
