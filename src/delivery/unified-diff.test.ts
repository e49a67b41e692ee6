import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { unifiedDiff } from "./unified-diff.ts";

const labels = { oldLabel: "a/x.yaml", newLabel: "b/x.yaml" };

test("equal texts give no diff", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n", labels), "");
});

test("a changed line reads as git diff prints it, with three lines of context", () => {
  const old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const changed = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  assert.equal(
    unifiedDiff(old, changed, labels),
    "--- a/x.yaml\n+++ b/x.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
  );
});

test("a new file diffs against nothing", () => {
  assert.equal(
    unifiedDiff("", "a\nb\n", { oldLabel: "/dev/null", newLabel: "b/x" }),
    "--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+a\n+b\n",
  );
});

test("the real patch tool applies every diff and gets the new text back", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-diff-"));
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 40; round++) {
    const old = Array.from({ length: Math.floor(random() * 30) }, () => `line ${Math.floor(random() * 8)}`);
    const next = old.flatMap((line) => {
      const r = random();
      if (r < 0.15) return [];
      if (r < 0.3) return [line, `added ${Math.floor(random() * 5)}`];
      if (r < 0.4) return [`changed ${line}`];
      return [line];
    });
    const oldText = old.map((l) => `${l}\n`).join("");
    const newText = next.map((l) => `${l}\n`).join("");
    const patch = unifiedDiff(oldText, newText, { oldLabel: "a/f", newLabel: "b/f" });
    if (oldText === newText) continue;
    writeFileSync(join(dir, "f"), oldText);
    writeFileSync(join(dir, "p"), patch);
    const result = spawnSync("patch", ["-s", "-p1", "-i", "p"], { cwd: dir, encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}\n${patch}`);
    assert.equal(readFileSync(join(dir, "f"), "utf8"), newText, patch);
  }
});
