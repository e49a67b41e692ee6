import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { memoryIo } from "./io.ts";
import { buildProgram, commands, main } from "./main.ts";

const bin = fileURLToPath(new URL("../../bin/slipway.js", import.meta.url));

test("the root help printed from the command table is the help of the commands as they register", async () => {
  const io = memoryIo();
  assert.equal(await main(["--help"], io), 0);
  const full = await buildProgram(memoryIo(), [], { everyCommand: true });
  assert.equal(io.stdout(), full.helpInformation());
  assert.deepEqual(
    full.commands.map((c) => c.name()),
    Object.keys(commands),
  );
});

test("a command's help, `help <command>` and a mistyped command still work without loading the others", async () => {
  const help = memoryIo();
  assert.equal(await main(["help", "render"], help), 0);
  assert.match(help.stdout(), /Usage: slipway render \[options\]/);
  assert.match(help.stdout(), /--target <target>/);
  const typo = memoryIo();
  assert.equal(await main(["rendr"], typo), 2);
  assert.match(typo.stderr(), /unknown command 'rendr'[\s\S]*Did you mean render\?/);
  const rootFirst = memoryIo();
  assert.equal(await main(["--help", "render"], rootFirst), 0);
  assert.match(rootFirst.stdout(), /Commands:[\s\S]*upgrade-check/);
});

/** The module URLs `slipway <args>` loads, seen by a load hook in a child process. */
function modulesLoadedBy(args: string[]): string[] {
  const hook = `import { registerHooks } from "node:module";
const seen = [];
registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
process.on("exit", () => process.stderr.write("\\nLOADED " + JSON.stringify(seen) + "\\n"));`;
  const result = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(hook)}`, bin, ...args],
    { encoding: "utf8", env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" } },
  );
  assert.equal(result.status, 0, result.stderr);
  const line = result.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  assert.ok(line, result.stderr);
  return JSON.parse(line.slice("LOADED ".length)) as string[];
}

// What makes a command slow to start: any library but commander (zod, yaml, kubernetes-models,
// client-node, hono, the crypto libraries…), and the schemas, renderer, policy engine, server and
// adapters that pull them in.
const heavy =
  /\/src\/(spec|render|policy|server|store|cluster|delivery|gitops)\/|\/src\/secrets\/backends\/|node_modules\/(?!commander\/)/;

test("`slipway --help` loads no command, schema, renderer or policy module", () => {
  const loaded = modulesLoadedBy(["--help"]);
  assert.deepEqual(
    loaded.filter((url) => heavy.test(url) || url.includes("/src/cli/commands/")),
    [],
  );
});

test("every `slipway <command> --help` loads only its own command file and nothing heavy", () => {
  const subcommands: Record<string, string> = { export: "helm", secrets: "encrypt" };
  for (const command of Object.keys(commands)) {
    const sub = subcommands[command];
    for (const args of sub === undefined ? [[command]] : [[command], [command, sub]]) {
      const loaded = modulesLoadedBy([...args, "--help"]);
      const label = `${args.join(" ")} --help`;
      assert.deepEqual(
        loaded.filter((url) => heavy.test(url)),
        [],
        label,
      );
      // Its own file, and for secrets the helpers its registration needs (the editor, the lock).
      const own = new RegExp(`^${command}(-(editor|files|signals))?\\.ts$`);
      const files = loaded
        .filter((url) => url.includes("/src/cli/commands/"))
        .map((url) => url.replace(/.*\/commands\//, ""));
      assert.ok(files.includes(`${command}.ts`), label);
      assert.deepEqual(
        files.filter((f) => !own.test(f)),
        [],
        label,
      );
    }
  }
});
