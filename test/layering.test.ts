/**
 * The layering holds: pure modules import no adapter and no I/O, each library is imported only by
 * its adapter, only composition roots construct adapters, and shipped code never imports test
 * support. The checker proves itself on synthetic violations first.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { importsOf, layeringViolations, testSupport } from "./support/layering.ts";

const repo = resolve(import.meta.dirname, "..");

function sources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(repo, "src"), { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".ts")) continue;
    const path = join(repo, "src", entry);
    files.set(relative(repo, path), readFileSync(path, "utf8"));
  }
  return files;
}

test("the checker finds each kind of violation, and only real imports", () => {
  const found = layeringViolations(
    new Map([
      [
        "src/delivery/bad.ts",
        'import { readFileSync } from "node:fs";\nimport { GitOpsTarget } from "../gitops/gitops-target.ts";\n',
      ],
      ["src/delivery/port.ts", 'import type { SecretSealer } from "../gitops/gitops-target.ts";\n'],
      ["src/render/lazy.ts", 'export async function f() { return import("../store/open.ts"); }\n'],
      ["src/policy/kube.ts", 'import { KubeConfig } from "@kubernetes/client-node";\n'],
      [
        "src/cli/client/x.ts",
        'import { appSchema } from "../../store/records.ts";\nimport { z } from "../../server/route.ts";\n',
      ],
      [
        "src/server/routes/y.ts",
        'import { KubeCluster } from "../../cluster/kube-cluster.ts";\nimport { Hono } from "hono";\n',
      ],
      ["src/spec/z.ts", 'import { freePort } from "../testing/free-port.ts";\n'],
      ["src/engine/w.ts", 'import { deployTargetFor } from "../compose/deploy-targets.ts";\n'],
      [
        "src/compose/fine.ts",
        'export const f = () => import("../cluster/kube-cluster.ts");\nimport { GitOpsTarget } from "../gitops/gitops-target.ts";\n',
      ],
      ["src/server/main.ts", 'import { deployTargetFor } from "../compose/deploy-targets.ts";\n'],
      // Not imports: a comment and a string.
      [
        "src/core/fine.ts",
        '// import { x } from "node:fs";\nexport const s = "from \\"../store/open.ts\\"";\n',
      ],
      ["src/delivery/fine.test.ts", 'import { KubeCluster } from "../cluster/kube-cluster.ts";\n'],
    ]),
  );
  const expected = [
    /^src\/delivery\/bad\.ts:1: a pure module imports node:fs$/,
    /^src\/delivery\/bad\.ts:2: a pure module imports src\/gitops\/gitops-target\.ts$/,
    /^src\/delivery\/bad\.ts:2: only a composition root constructs adapters/,
    /^src\/delivery\/port\.ts:1: a pure module names a type of src\/gitops\/gitops-target\.ts/,
    /^src\/render\/lazy\.ts:1: a pure module imports src\/store\/open\.ts$/,
    /^src\/policy\/kube\.ts:1: @kubernetes\/client-node is imported only in src\/cluster\//,
    /^src\/cli\/client\/x\.ts:1: the CLI imports the store/,
    /^src\/cli\/client\/x\.ts:2: the CLI reaches into the server/,
    /^src\/server\/routes\/y\.ts:1: only a composition root constructs adapters/,
    /^src\/spec\/z\.ts:1: .*test support/,
    /^src\/engine\/w\.ts:1: only a composition root imports src\/compose\/deploy-targets\.ts$/,
  ];
  for (const pattern of expected)
    assert.ok(
      found.some((v) => pattern.test(v)),
      `${pattern} in:\n${found.join("\n")}`,
    );
  assert.ok(
    !found.some((v) => v.startsWith("src/core/fine.ts") || v.includes("fine.test.ts")),
    found.join("\n"),
  );
  assert.ok(!found.some((v) => v.startsWith("src/server/routes/y.ts:2")), "the server may import hono");
  assert.ok(
    !found.some((v) => v.startsWith("src/compose/fine.ts") || v.startsWith("src/server/main.ts")),
    "shared composition constructs adapters, and the roots import it",
  );
});

test("import() with a literal, re-exports and type-only imports are read as such", () => {
  const refs = importsOf(
    "src/x/a.ts",
    'import type { A } from "./a.ts";\nimport { type B } from "./b.ts";\nexport { c } from "../c.ts";\nawait import("node:fs");\n',
  );
  assert.deepEqual(
    refs.map((r) => [r.specifier, r.target ?? null, r.typeOnly]),
    [
      ["./a.ts", "src/x/a.ts", true],
      ["./b.ts", "src/x/b.ts", true],
      ["../c.ts", "src/c.ts", false],
      ["node:fs", null, false],
    ],
  );
});

test("src/ keeps its layering", () => {
  assert.deepEqual(layeringViolations(sources()), []);
});

test("test support is left out of the build", () => {
  const build = JSON.parse(readFileSync(join(repo, "tsconfig.build.json"), "utf8")) as { exclude: string[] };
  for (const path of testSupport) {
    const glob = path.endsWith("/") ? `${path}**` : path;
    assert.ok(build.exclude.includes(glob), `tsconfig.build.json excludes ${glob}`);
  }
});
