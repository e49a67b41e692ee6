/**
 * A PostgreSQL server of a test's own — `initdb` and `pg_ctl` from the system's PostgreSQL, in a
 * temporary directory, on a free port — for tests that stop and restart it under a running
 * Slipway server. The shared database other tests use is never touched. PostgreSQL refuses to run
 * as root, so as root the cluster belongs to the `postgres` user.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/testing/free-port.ts";

export interface PrivatePostgres {
  readonly url: string;
  stop(): void;
  start(): void;
  close(): void;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "pg_ctl")));
  if (dir === undefined) {
    throw new Error(
      "PostgreSQL's server binaries (initdb, pg_ctl) are needed: apt-get install -y postgresql",
    );
  }
  return dir;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "slipway-private-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, id("-u"), id("-g"));
    chmodSync(dir, 0o700);
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? "runuser" : join(bin, tool),
      asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args,
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const ctl = (action: "start" | "stop") =>
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "postgres.log"),
      "-w",
      "-t",
      "60",
      ...(action === "start"
        ? ["-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`]
        : ["-m", "fast"]),
      action,
    ]);
  ctl("start");
  // The database the store connects to.
  run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "slipway"]);
  let running = true;
  // The test runner is leaving: the server must not outlive it.
  const leaving = () => {
    if (running) ctl("stop");
  };
  process.once("exit", leaving);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/slipway`,
    stop() {
      ctl("stop");
      running = false;
    },
    start() {
      ctl("start");
      running = true;
    },
    close() {
      process.off("exit", leaving);
      if (running) ctl("stop");
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
