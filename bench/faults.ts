/**
 * `npm run bench -- faults`: the fault suite (test/faults-*.test.ts) run on its own, and the times
 * it measured — to detect each fault and to recover once it clears — as one table and one line of
 * JSON. The faults are real: a control plane and a PostgreSQL of the suite's own, a GitOps remote
 * moved away or refusing, a 1 MB tmpfs (see docs/reliability.md for what each promises).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = readdirSync(`${root}test`)
  .filter((f) => /^faults-.*\.test\.ts$/.test(f))
  .map((f) => `test/${f}`);
const started = Date.now();
const run = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=tap", ...files], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${run.stdout}${run.stderr}`;
const figures: Record<string, Record<string, string>> = {};
for (const match of output.matchAll(/^# figure: (.+?): (.+)$/gm)) {
  const [, name = "", values = ""] = match;
  figures[name] = Object.fromEntries(values.split(" ").map((pair) => pair.split("=") as [string, string]));
}
const failed = /^# fail (\d+)$/m.exec(output)?.[1] ?? "?";
console.log(
  `fault suite: ${files.join(", ")} in ${((Date.now() - started) / 1000).toFixed(0)} s, ${failed} failed\n`,
);
const width = Math.max(...Object.keys(figures).map((n) => n.length), 5);
for (const [name, values] of Object.entries(figures)) {
  console.log(
    `${name.padEnd(width)}  ${Object.entries(values)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
}
console.log(JSON.stringify({ bench: "faults", failed: Number(failed), figures }));
if (run.status !== 0) {
  console.error(
    output
      .split("\n")
      .filter((l) => /^not ok|# Subtest|error|Error/.test(l))
      .slice(0, 40)
      .join("\n"),
  );
  process.exit(1);
}
