#!/usr/bin/env node
// Entry point of the `slipway` command. Inside a checkout the TypeScript sources run directly
// (Node strips the types); an installed package runs the compiled `dist/`, because Node does
// not strip types under node_modules.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/cli/main.ts", import.meta.url);
const useSource = existsSync(fileURLToPath(source)) && !fileURLToPath(source).includes("/node_modules/");
const { main } = await import(useSource ? source.href : new URL("../dist/cli/main.js", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
