#!/usr/bin/env node
// Entry point of the `slipway` command. Inside a checkout the TypeScript sources run directly
// (Node strips the types); an installed package runs the compiled `dist/`, because Node does
// not strip types under node_modules.
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `slipway needs Node.js 24 or newer (this is ${process.version}). In a checkout, run it through npm (npx slipway …), which uses the pinned Node.\n`,
  );
  process.exit(2);
}

// Every command starts by compiling a few hundred modules; Node keeps the compiled code on disk
// (in the OS temp directory) so later runs skip that. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// (A default import: an older Node must reach the version check above, not fail to link.)
module.enableCompileCache?.();

const source = new URL("../src/cli/main.ts", import.meta.url);
const useSource = existsSync(fileURLToPath(source)) && !fileURLToPath(source).includes("/node_modules/");
const { main } = await import(useSource ? source.href : new URL("../dist/cli/main.js", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
