/**
 * Bundles the CLI for the published package (`npm run build`, after `tsc`): `dist/bundle/main.js`
 * and its chunks. An installed `slipway` would otherwise load about 500 modules (zod, yaml,
 * kubernetes-models, the policy catalog…) before a command does anything; bundled, it loads a
 * few dozen files. Each command stays a chunk of its own (the commands' `import()`s are split
 * points), so `slipway --help` still loads none of them. `bin/slipway.js` runs this bundle when
 * installed and the TypeScript sources in a checkout.
 *
 *   node scripts/bundle.ts [--analyze] [--outdir <dir>]
 */
import { readFileSync, rmSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { modelModules } from "../src/render/k8s-schema.ts";
import { packageVersion, readStaticFile, staticFiles } from "../src/server/web/files.ts";

const { values } = parseArgs({
  options: { analyze: { type: "boolean", default: false }, outdir: { type: "string" } },
});
const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = values.outdir ?? `${root}dist/bundle`;

/** The commands with a bundle of their own; bin/slipway.js runs them from it. */
const hotCommands = ["validate", "render", "check"] as const;
type HotCommand = (typeof hotCommands)[number];

/**
 * Built-ins that are imported on every run of a command but used on few: commander imports
 * `node:child_process` for executable subcommands, which slipway has none of (2 to 3 ms to load);
 * `node:crypto` (5 to 7 ms: it loads some twenty internal modules) hashes only what a render
 * hashes, and `--help`, `validate` or `check` of files may never need it. Their exports are
 * functions that do not use `this`, so an export can be read from a stand-in that loads the
 * built-in when it is first read.
 */
const lazyBuiltins = new Set(["node:child_process", "node:crypto"]);

/** Node's CommonJS module wrapper, as `module.wrap(body)` puts it around a module's text. */
const wrapperStart = "(function (exports, require, module, __filename, __dirname) { ";
const wrapperEnd = "\n});";

/** What every build shares. */
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node24",
  // Whitespace and syntax only: names stay, so an internal error's stack still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  logLevel: "warning",
  // ajv-formats asks for Node's punycode, deprecated (a warning on every run outside
  // node_modules); the userland package of the same name and API is bundled instead.
  alias: { punycode: "punycode/" },
  // pg's native binding is optional and loaded only when asked for; it is not a dependency.
  external: ["pg-native"],
} satisfies BuildOptions;

rmSync(outdir, { recursive: true, force: true });
// esbuild has printed its errors by the time it rejects: exit without a stack on top of them.
const result = await bundle().catch(() => process.exit(1));
await Promise.all(hotCommands.map(hotBundle)).catch(() => process.exit(1));
if (values.analyze) {
  const { analyzeMetafile } = await import("esbuild");
  console.log(await analyzeMetafile(result.metafile, { verbose: false }));
}

function bundle() {
  return build({
    ...common,
    entryPoints: { main: "src/cli/main.ts" },
    outdir,
    splitting: true,
    format: "esm",
    metafile: true,
    // Bundled CommonJS packages (pg, client-node's dependencies) require() Node's own modules;
    // an ES module has no require, so every chunk makes one (without an import of node:module,
    // whose facade would cost a few milliseconds: see builtinsByRequire).
    banner: {
      js: 'const require = process.getBuiltinModule("node:module").createRequire(import.meta.url);',
    },
    plugins: [builtinsByRequire(), bundledModels(), bundledStatusPage(), zodEnglishOnly()],
  });
}

/**
 * The commands of the one-app loop (`validate`, `render`, `check`) each also get one CommonJS file,
 * `dist/bundle/hot/<command>.cjs`, holding the CLI with that command alone. `bin/slipway.js` runs
 * it through `vm.Script` with a V8 code cache it writes after the command has run, so the cache
 * holds every function the command compiled. Node's compile cache, which the chunks use, is written
 * right after a module is compiled and so holds only its top level: each run compiles the
 * functions it calls again (about 20 ms of a render). The other commands stay on the chunks.
 *
 * The file is the module already inside Node's CommonJS wrapper (`module.wrap`), one function
 * expression: `bin` compiles the text as it was read. Wrapped at run time, V8 would first copy the
 * two joined strings into one, 2 MB of fresh memory on every run.
 */
function hotBundle(command: HotCommand) {
  return build({
    ...common,
    entryPoints: { [command]: "src/cli/main.ts" },
    outdir: `${outdir}/hot`,
    outExtension: { ".js": ".cjs" },
    format: "cjs",
    define: { "import.meta.url": "__slipwayModuleUrl" },
    banner: {
      js: `${wrapperStart}var __slipwayModuleUrl = require("node:url").pathToFileURL(__filename).href;`,
    },
    footer: { js: wrapperEnd },
    plugins: [
      onlyCommand(command),
      builtinsByRequire(),
      bundledModels(),
      bundledStatusPage(),
      zodEnglishOnly(),
    ],
  });
}

/**
 * `src/cli/main.ts` for a hot bundle: the other commands' imports refuse (`bin` runs this file
 * only for `command`), and the line that runs it as a script goes (a top-level await, which
 * CommonJS does not have; `bin` calls `main`).
 */
function onlyCommand(command: HotCommand): Plugin {
  return {
    name: "only-command",
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]main\.ts$/ }, (args) => {
        const source = readFileSync(args.path, "utf8");
        const imports = /import\("\.\/commands\/([a-z-]+)\.ts"\)/g;
        const script = /^if \(import\.meta\.main\) .*$/m;
        if (!source.match(imports)?.includes(`import("./commands/${command}.ts")`) || !script.test(source))
          return {
            errors: [{ text: `src/cli/main.ts no longer loads ./commands/${command}.ts as expected` }],
          };
        return {
          loader: "ts",
          contents: source
            .replace(imports, (call, name) =>
              name === command
                ? call
                : `Promise.reject(new Error("slipway: ${command}.cjs holds only ${command}"))`,
            )
            .replace(script, ""),
        };
      });
    },
  };
}

/**
 * An ES module import of a Node built-in (`import { readFileSync } from "node:fs"`) links through
 * a facade that reads every export of the built-in, getters included: `node:crypto`'s loads Web
 * Crypto, `node:util`'s the MIME parser. Over the twenty-odd built-ins a render imports that is
 * about 8 ms of every command. Each built-in becomes a CommonJS module of one `require` instead;
 * the importers then read the properties they use when they use them.
 */
function builtinsByRequire(): Plugin {
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  return {
    name: "builtins-by-require",
    setup(b) {
      b.onResolve({ filter: /^[a-z_]+(:[a-z_]+)?(\/[a-z_]+)?$/ }, (args) =>
        args.kind === "import-statement" && builtins.has(args.path)
          ? { path: args.path.replace(/^(node:)?/, "node:"), namespace: "builtin" }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
        loader: "js",
        contents: lazyBuiltins.has(args.path)
          ? lazyBuiltinModule(args.path)
          : `module.exports = require(${JSON.stringify(args.path)});`,
      }));
    },
  };
}

/**
 * A module whose exports are those of built-in `specifier` (as the Node running the build lists
 * them), each a getter that loads the built-in on first read. A property the running Node lacks
 * reads as `undefined`, as it would from the built-in itself.
 */
function lazyBuiltinModule(specifier: string): string {
  const exported = createRequire(import.meta.url)(specifier) as object;
  const keys = Object.getOwnPropertyNames(exported).map((key) => [
    key,
    Object.getOwnPropertyDescriptor(exported, key)?.enumerable === true,
  ]);
  return [
    "let loaded;",
    `const load = () => (loaded ??= require(${JSON.stringify(specifier)}));`,
    `for (const [key, enumerable] of ${JSON.stringify(keys)})`,
    "  Object.defineProperty(module.exports, key, {",
    "    configurable: true,",
    "    enumerable,",
    "    get: () => load()[key],",
    "    set: (value) => { load()[key] = value; },",
    "  });",
  ].join("\n");
}

/**
 * `src/render/k8s-model-module.ts` resolves a model's path at run time, which a bundler cannot
 * follow. In the bundle it becomes one static `require` per model `k8s-schema.ts` lists: esbuild
 * bundles each and evaluates it on its first `require`, so a model still loads on first use. The
 * packages export only `import` conditions, so these requires resolve as imports.
 */
function bundledModels(): Plugin {
  const specifiers = [...new Set(Object.values(modelModules).map(([specifier]) => specifier))];
  const packages = /^(kubernetes-models|@kubernetes-models\/[^/]+)\//;
  return {
    name: "bundled-kubernetes-models",
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]render[\\/]k8s-model-module\.ts$/ }, () => ({
        loader: "js",
        contents: [
          "export function loadModelModule(specifier) {",
          "  switch (specifier) {",
          ...specifiers.map((s) => `    case ${JSON.stringify(s)}: return require(${JSON.stringify(s)});`),
          "  }",
          `  throw new Error("no bundled kubernetes-models module " + specifier);`,
          "}",
        ].join("\n"),
      }));
      b.onResolve({ filter: packages }, async (args) => {
        if (args.kind !== "require-call") return undefined;
        const found = await b.resolve(args.path, {
          kind: "import-statement",
          resolveDir: args.resolveDir,
          importer: args.importer,
        });
        return found.errors.length > 0 ? { errors: found.errors } : { path: found.path };
      });
    },
  };
}

/**
 * `src/server/web/files.ts` reads the status page's files and package.json from disk beside it; an
 * installed package has no `src/`, and a chunk has no path to it. In the bundle that module holds
 * their contents instead.
 */
function bundledStatusPage(): Plugin {
  return {
    name: "bundled-status-page",
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]server[\\/]web[\\/]files\.ts$/ }, () => {
        const contents = Object.fromEntries(staticFiles.map((name) => [name, readStaticFile(name)]));
        return {
          loader: "js",
          contents: [
            `export const staticFiles = ${JSON.stringify(staticFiles)};`,
            `const contents = ${JSON.stringify(contents)};`,
            "export function readStaticFile(name) { return contents[name]; }",
            `export function packageVersion() { return ${JSON.stringify(packageVersion())}; }`,
          ].join("\n"),
        };
      });
    },
  };
}

/**
 * zod re-exports its forty-odd locales as `z.locales`, and a bundle cannot drop what a namespace
 * holds: 300 KB of every hot bundle, read on every run. Slipway reads none of them (zod sets its
 * English messages from its own import of `en`), so the bundle keeps `en` alone.
 */
function zodEnglishOnly(): Plugin {
  return {
    name: "zod-english-only",
    setup(b) {
      b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
        loader: "js",
        contents: 'export { default as en } from "./en.js";',
      }));
    },
  };
}
