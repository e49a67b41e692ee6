#!/usr/bin/env node
// Entry point of the `slipway` command. Inside a checkout the TypeScript sources run directly
// (Node strips the types); an installed package runs the bundle `npm run build` writes to
// `dist/bundle/` (scripts/bundle.ts): Node does not strip types under node_modules, and a few
// bundled files load far faster than the few hundred modules they hold.

const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `slipway needs Node.js 24 or newer (this is ${process.version}). In a checkout, run it through npm (npx slipway …), which uses the pinned Node.\n`,
  );
  process.exit(2);
}
// Not `import`: an ES module import of a built-in links through a facade that reads all its
// exports, and node:fs's getters load its streams, promises and watchers (a few milliseconds of
// every command). Also, an older Node must reach the version check above, not fail to link.
const { existsSync } = process.getBuiltinModule("node:fs");
const module = process.getBuiltinModule("node:module");
const { fileURLToPath } = process.getBuiltinModule("node:url");

// Every command starts by compiling a few hundred modules; Node keeps the compiled code on disk
// (in the OS temp directory) so later runs skip that. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

const source = new URL("../src/cli/main.ts", import.meta.url);
const useSource = existsSync(fileURLToPath(source)) && !fileURLToPath(source).includes("/node_modules/");
const bundle = new URL("../dist/bundle/main.js", import.meta.url);
if (!useSource && !existsSync(fileURLToPath(bundle))) {
  process.stderr.write(
    `slipway: ${fileURLToPath(bundle)} is missing: this installation is incomplete; reinstall slipway.\n`,
  );
  process.exit(1);
}
const { main } = await import(useSource ? source.href : bundle.href);
process.exitCode = await main(process.argv.slice(2));
// The command is done: exit once stdout and stderr have taken what it wrote. Left to drain, the
// event loop would first let V8 finish the heap collection it began while the command ran (10 to
// 20 ms of CPU after a render), on a heap about to be dropped. (`serve` returns only once it has
// shut down.)
await Promise.all(
  [process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write("", done))),
);
process.exit();
