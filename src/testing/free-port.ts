/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a peer or server that a test or
 * benchmark starts as its own process and must be told a port (test support only).
 *
 * The port is chosen below the kernel's ephemeral range, never inside it: a server that is stopped
 * and started again on its port (the fault tests restart kube-apiserver and PostgreSQL) would
 * otherwise find it taken meanwhile by some client connection's local end ("address already in
 * use"), since outgoing connections draw their local ports from that range.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port the kernel hands out for outgoing connections (Linux; 32768 elsewhere). */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > 2048 ? n : 32768;
  } catch {
    return 32768;
  }
}

/** Whether a server could listen on `port` of 127.0.0.1 now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const high = ephemeralRangeStart();
  const low = Math.min(10_000, high - 1000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${low} and ${high} after 200 tries`);
}
