/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a peer or server that a test or
 * benchmark starts as its own process and must be told a port (test support only).
 */
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
