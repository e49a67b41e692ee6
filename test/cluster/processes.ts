/**
 * Starting and stopping the cluster's processes. Each started process gets a pid file recording
 * its pid and binary; `stop` only signals a pid whose /proc cmdline still names that binary, so a
 * recycled pid or another user's process is never touched ("down stops exactly what it started").
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  readonly bin: string;
}

export function pidFile(pidsDir: string, name: string): string {
  return join(pidsDir, `${name}.pid`);
}

export function logFile(logsDir: string, name: string): string {
  return join(logsDir, `${name}.log`);
}

export function startProcess(
  pidsDir: string,
  logsDir: string,
  name: string,
  bin: string,
  args: string[],
): PidRecord {
  // Truncate: a new cluster never appends to (or is confused by) an old one's log.
  const fd = openSync(logFile(logsDir, name), "w");
  try {
    // detached: its own process group, so the test runner's exit or Ctrl-C does not kill it.
    const child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    const record: PidRecord = { name, pid: child.pid, bin };
    writeFileSync(pidFile(pidsDir, name), `${JSON.stringify(record)}\n`);
    return record;
  } finally {
    closeSync(fd);
  }
}

export function readPid(pidsDir: string, name: string): PidRecord | undefined {
  const file = pidFile(pidsDir, name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as PidRecord;
}

/** True when the pid is alive and still runs the binary we started (not a recycled pid). */
export function isRunning(record: PidRecord): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${record.pid}/cmdline`, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  const argv0 = cmdline.split("\0")[0] ?? "";
  // A zombie has an empty cmdline: it has exited, only not yet reaped.
  return argv0 === record.bin;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
export async function stopProcess(pidsDir: string, record: PidRecord, graceMs = 10_000): Promise<void> {
  if (isRunning(record)) {
    process.kill(record.pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (isRunning(record) && Date.now() < deadline) await sleep(50);
    if (isRunning(record)) {
      process.kill(record.pid, "SIGKILL");
      while (isRunning(record)) await sleep(50);
    }
  }
  rmSync(pidFile(pidsDir, record.name), { force: true });
}

export function tailLog(logsDir: string, name: string, lines = 40): string {
  const file = logFile(logsDir, name);
  if (!existsSync(file)) return "(no log)";
  const all = readFileSync(file, "utf8").trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}
