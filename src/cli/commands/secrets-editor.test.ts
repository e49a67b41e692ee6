/**
 * `secrets edit` and its editor: $EDITOR split into words and run without a shell (a file name is
 * only a name), and the plaintext copy removed when the command is stopped by a signal, tested on
 * a real child process with a slow editor.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";
import { shellWords } from "./secrets-editor.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const cli = fileURLToPath(new URL("../main.ts", import.meta.url));

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const io = memoryIo({ cwd, env: { HOME: cwd, SOPS_AGE_KEY: identity, ...env } });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

async function encryptedProject(name = "app.yaml"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-edit-"));
  writeFileSync(join(dir, name), "db:\n  password: hunter2\napi_token: tok-123\n");
  const r = await run(["secrets", "encrypt", "-i", "--age", recipient, name], dir);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

function startEdit(
  dir: string,
  file: string,
  editor: string,
): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, "secrets", "edit", file], {
    cwd: dir,
    // Its own process group, as a shell's foreground job: Ctrl-C reaches the whole group.
    detached: true,
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY: identity, EDITOR: editor },
  });
  const done = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, done };
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 400 && !existsSync(path); i++) await sleep(25);
  assert.ok(existsSync(path), `${path} never appeared`);
}

/** Running, not merely a zombie waiting for a parent to reap it (the editor's parent has exited). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
  return !/\) Z /.test(stat);
};

test("$EDITOR is split into words like a shell does, without running one", () => {
  assert.deepEqual(shellWords("code --wait", "$EDITOR"), ["code", "--wait"]);
  assert.deepEqual(shellWords("vim -c 'set ft=yaml'", "$EDITOR"), ["vim", "-c", "set ft=yaml"]);
  assert.deepEqual(shellWords('"/opt/My Editor/ed" -w', "$EDITOR"), ["/opt/My Editor/ed", "-w"]);
  assert.deepEqual(shellWords('my\\ ed "a\\"b" \'c\'"d"', "$EDITOR"), ["my ed", 'a"b', "cd"]);
  assert.deepEqual(shellWords("sh -c 'echo \"$0\"; exit 3'", "$EDITOR"), ["sh", "-c", 'echo "$0"; exit 3']);
  for (const [line, why] of [
    ["vi; rm -rf ~", /unquoted shell syntax \(;\)/],
    ["vi $(id)", /unquoted shell syntax \(\$\)/],
    ['vi "$HOME"', /expansion \(\$\) inside double quotes/],
    ["vi 'open", /unterminated single quote/],
    ["  ", /empty command/],
  ] as const) {
    assert.throws(
      () => shellWords(line, "$EDITOR"),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "SLIPWAY_E_INPUT");
        assert.match(error.message, why);
        assert.match(error.message, /^\$EDITOR: .*without a shell/);
        return true;
      },
    );
  }
});

test("a file name with shell syntax is only a name: edit runs nothing from it", async () => {
  const name = "x$(id>pwned).enc.yaml";
  const dir = await encryptedProject(name);
  const child = startEdit(dir, name, "sed -i s/tok-123/tok-456/");
  const code = await child.done;
  assert.ok(!existsSync(join(dir, "pwned")), "the file name was run as a command");
  assert.equal(code, 0);
  const r = await run(["secrets", "decrypt", "--extract", "api_token", name], dir);
  assert.equal(r.stdout, "tok-456", r.stderr);
});

// A slow editor that says where its copy is and which process it is.
const slowEditor = `sh -c 'echo "$0" > editor.path; echo $$ > editor.pid; exec sleep 30'`;

for (const [signal, how, exit] of [
  ["SIGTERM", "kill", 143],
  ["SIGHUP", "kill", 129],
  ["SIGINT", "Ctrl-C to the process group", 2],
] as const) {
  test(`${signal} (${how}) during edit removes the plaintext copy and the lock, and changes nothing`, async () => {
    const dir = await encryptedProject();
    const before = readFileSync(join(dir, "app.yaml"), "utf8");
    const { child, done } = startEdit(dir, "app.yaml", slowEditor);
    try {
      await waitFor(join(dir, "editor.pid"));
      const copy = readFileSync(join(dir, "editor.path"), "utf8").trim();
      const editorPid = Number(readFileSync(join(dir, "editor.pid"), "utf8"));
      assert.ok(existsSync(copy), "the editor's copy exists while it runs");
      if (how === "kill") child.kill(signal);
      else process.kill(-(child.pid as number), signal);
      assert.equal(await done, exit);
      assert.ok(!existsSync(copy), `the plaintext copy ${copy} was left behind`);
      assert.ok(!existsSync(dirname(copy)), "its private directory was left behind");
      assert.ok(!readdirSync(dir).some((f) => f.includes("slipway-lock")), "the lock was left behind");
      for (let i = 0; i < 40 && alive(editorPid); i++) await sleep(25);
      assert.ok(!alive(editorPid), "the editor kept running");
      assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), "SIGKILL");
    }
  });
}

test("an error in the edited text names the user's file and the edited text's line, never the copy", async () => {
  const dir = await encryptedProject();
  const editor = `sh -c 'printf "db:\\n  password: [unclosed\\n" > "$0"'`;
  const r = await run(["secrets", "edit", "app.yaml"], dir, { EDITOR: editor });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: app\.yaml, line \d+, column \d+ of the decrypted text you edited: /);
  assert.doesNotMatch(r.stderr, /slipway-edit|\/dev\/shm|\/tmp\//);
  const reserved = await run(["secrets", "edit", "app.yaml"], dir, {
    EDITOR: `sh -c 'printf "sops: 1\\n" > "$0"'`,
  });
  assert.equal(reserved.code, 2);
  assert.match(reserved.stderr, /app\.yaml, in the decrypted text you edited: "sops" is a reserved key/);
});
