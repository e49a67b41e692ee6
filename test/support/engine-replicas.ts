/**
 * A server replica for the exactly-once tests: `test/fixtures/engine-replica.ts` in a child
 * process of its own (so it can be SIGKILLed), resolved once it says where it listens.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const replicaScript = fileURLToPath(new URL("../fixtures/engine-replica.ts", import.meta.url));

export interface Replica {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  /** What the replica wrote to stderr so far. */
  readonly log: () => string;
}

/** Starts a replica with the fixture's arguments (database URL, executor, lease, …). */
export async function startReplica(args: readonly string[]): Promise<Replica> {
  const child = spawn(process.execPath, [replicaScript, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`replica exited with ${code}: ${err}`));
    });
  });
  return { child, url, pid: child.pid ?? 0, log: () => err };
}
