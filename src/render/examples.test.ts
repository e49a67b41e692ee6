/**
 * Golden files: every example app rendered for every channel and a preview, compared byte for
 * byte with the YAML committed under test/golden/. A change to the renderer shows up as a diff
 * of those files in review. Regenerate with: UPDATE_GOLDEN=1 npm test -- src/render/examples.test.ts
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { loadAppAndPlatform } from "../spec/files.ts";
import { render } from "./render.ts";
import { objectsToYaml } from "./yaml-output.ts";

const examples = new URL("../../examples/", import.meta.url);
const golden = new URL("../../test/golden/", import.meta.url);
const apps = readdirSync(examples, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/slipway.yaml`, examples)))
  .map((d) => d.name)
  .sort();
const DIGEST = `sha256:${"4f".repeat(32)}`;

test("there are at least three example apps", () => {
  assert.ok(apps.length >= 3, `found ${apps.join(", ")}`);
});

for (const name of apps) {
  // The examples' platform file is named, as an operator would: it is never found from the app.
  const { app, platform } = loadAppAndPlatform(
    new URL(name, examples).pathname,
    new URL("slipway.platform.yaml", examples).pathname,
  );
  const targets = [...platform.platform.channels.map((c) => c.name), "preview:feature/new-checkout"];
  for (const target of targets) {
    test(`${name} renders for ${target} exactly as the golden file`, () => {
      const yaml = objectsToYaml(
        render({ app, platform, target, image: `${app.spec.image.repository}@${DIGEST}`, release: "r-42" })
          .objects,
      );
      const file = new URL(`${name}/${target.replace(/[:/]/g, "_")}.yaml`, golden);
      if (process.env.UPDATE_GOLDEN) {
        mkdirSync(new URL(".", file), { recursive: true });
        writeFileSync(file, yaml);
      }
      assert.ok(
        existsSync(file),
        `missing golden file ${file.pathname}; run with UPDATE_GOLDEN=1 to create it`,
      );
      assert.equal(yaml, readFileSync(file, "utf8"));
    });
  }
}
