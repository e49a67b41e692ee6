/**
 * A team's `repositories` in the platform file: the server reads repositories with credentials of
 * its own, so a release of one team's app from a repository the team does not list is refused
 * before anything is fetched — no mirror made, nothing stored, and nothing of that repository's
 * content in the answer.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { displayRepository, GitSource } from "../src/source/git-source.ts";
import { defaultPlatform, type LoadedPlatform } from "../src/spec/parse.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import {
  appSpec,
  commitFiles,
  imageAt,
  newRepository,
  removeRepository,
  rowCounts,
} from "./support/release-repos.ts";

let h: Harness;
let own: string;
let others: string;
let ownCommit: string;
let othersCommit: string;
const mirrors = mkdtempSync(join(tmpdir(), "slipway-mirrors-"));

before(async () => {
  own = newRepository();
  others = newRepository();
  ownCommit = commitFiles(own, { "slipway.yaml": appSpec({ secrets: [] }) }, "checkout");
  // Another team's repository, holding an app of the same name and a tell-tale in its spec.
  othersCommit = commitFiles(
    others,
    { "slipway.yaml": appSpec({ secrets: [], extra: "ledgerInternalOnly: true" }) },
    "finance",
  );
  const base = defaultPlatform();
  const platform: LoadedPlatform = {
    ...base,
    platform: {
      ...base.platform,
      teams: [{ name: "payments", repositories: [own] }, { name: "search" }],
    },
  };
  h = await createHarness({
    platform,
    releaseSources: {
      repositories: new GitSource({ cacheDir: mirrors, allowLocal: true }),
      platform: async () => platform,
      show: displayRepository,
    },
  });
  await h.store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
});
after(async () => {
  await h.dispose();
  for (const dir of [own, others, mirrors]) removeRepository(dir);
});

const post = (repository: string, commit: string) =>
  h.call("POST", "/api/v1/apps/checkout/releases", {
    as: "developer",
    body: { repository, path: "", commit, image: imageAt(7) },
  });

test("a release from a repository the team does not list is refused before any fetch", async () => {
  const counts = await rowCounts(h.database);
  const response = await post(others, othersCommit);
  const text = await response.text();
  assert.equal(response.status, 403, text);
  const { error } = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(error.code, "SLIPWAY_E_FORBIDDEN");
  assert.match(error.message, new RegExp(`repository ${others} is not one team payments releases from`));
  assert.doesNotMatch(text, /ledgerInternalOnly/, "nothing of the other repository is quoted");
  assert.deepEqual(readdirSync(mirrors), [], "the server fetched nothing");
  assert.deepEqual(await rowCounts(h.database), counts, "nothing stored");
});

test("a release from a listed repository goes through", async () => {
  const response = await post(own, ownCommit);
  assert.equal(response.status, 201, await response.clone().text());
  const { release } = (await response.json()) as { release: { repository: string; commitSha: string } };
  assert.equal(release.repository, own);
  assert.equal(release.commitSha, ownCommit);
});
