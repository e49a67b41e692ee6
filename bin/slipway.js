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
// validate, render and check have a bundle each (scripts/bundle.ts), run with a code cache. Their
// help is printed from the chunks, as every other command's: it needs none of the command's code.
const askedForHelp = process.argv.includes("--help") || process.argv.includes("-h");
const hot =
  ["validate", "render", "check"].includes(process.argv[2]) && !askedForHelp
    ? fileURLToPath(new URL(`../dist/bundle/hot/${process.argv[2]}.cjs`, import.meta.url))
    : undefined;
const { main, saveCodeCache } =
  !useSource && hot !== undefined && existsSync(hot)
    ? withCodeCache(hot)
    : await import(useSource ? source.href : bundle.href);
process.exitCode = await main(process.argv.slice(2));
// Every later run takes the cache as it is, compiling again each time whatever the run that wrote
// it did not reach: a usage error or a spec with problems stops a command early (a render's cache
// written by `render --help` left each render about 40 ms of compiling). Only a run that did the
// command's whole work writes it: one that succeeded, or a check that found problems.
const didWholeWork = process.exitCode === 0 || (process.argv[2] === "check" && process.exitCode === 1);
if (didWholeWork) saveCodeCache?.();
// The command is done: exit once stdout and stderr have taken what it wrote. Left to drain, the
// event loop would first let V8 finish the heap collection it began while the command ran (10 to
// 20 ms of CPU after a render), on a heap about to be dropped. (`serve` returns only once it has
// shut down.)
await Promise.all(
  [process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write("", done))),
);
process.exit();

/**
 * Runs a CommonJS bundle with a V8 code cache kept in the user's cache directory
 * (`$XDG_CACHE_HOME/slipway/code-cache`, else `~/.cache/slipway/code-cache`). Node's compile
 * cache holds only what a module compiles as it loads; this one is written after the command ran, so it also holds every
 * function the command called, which later runs then need not compile (about 20 ms of a
 * render). The file name carries the bundle's size and time and Node's version, so a reinstall or
 * another Node never reads a stale cache; V8 refuses one it cannot use, and then it is rewritten.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's.
 */
function withCodeCache(file) {
  const fs = process.getBuiltinModule("node:fs");
  const path = process.getBuiltinModule("node:path");
  const os = process.getBuiltinModule("node:os");
  const vm = process.getBuiltinModule("node:vm");
  const off = process.env.NODE_DISABLE_COMPILE_CACHE === "1";
  const { size, mtimeMs } = fs.statSync(file);
  const dir = path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"),
    "slipway",
    "code-cache",
  );
  const name = `${path.basename(file, ".cjs")}-${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}.v8`;
  const cacheFile = path.join(dir, name);
  let cachedData;
  try {
    if (!off) cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet: this run writes it.
  }
  // The file is already the module inside Node's wrapper (scripts/bundle.ts), one function.
  const script = new vm.Script(fs.readFileSync(file, "utf8"), { filename: file, cachedData });
  const bundled = { exports: {} };
  script
    .runInThisContext()
    .call(bundled.exports, bundled.exports, module.createRequire(file), bundled, file, path.dirname(file));
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return {
    main: bundled.exports.main,
    saveCodeCache: off || !fresh ? undefined : () => writeCodeCache(cacheFile, script.createCachedData()),
  };
}

/** Writes the cache whole or not at all (another run may read it meanwhile); a cache is optional. */
function writeCodeCache(cacheFile, data) {
  const fs = process.getBuiltinModule("node:fs");
  const path = process.getBuiltinModule("node:path");
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, cacheFile);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}
