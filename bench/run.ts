/**
 * `npm run bench -- <name> [args]` runs `bench/<name>.ts`. Each benchmark runs Slipway and its
 * real peer side by side in one run, prints ratios, and ends with one line of JSON of its figures.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("lib-"))
  .map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !existsSync(`${here}${name}.ts`)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(", ")})`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ["--expose-gc", `${here}${name}.ts`, ...rest], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
