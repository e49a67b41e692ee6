/**
 * `npm run testcluster -- up|down|status [--nodes N] [--pods fast|general]`
 *
 * Runs a real Kubernetes control plane (built by `npm run tools`) as local processes for tests and
 * benchmarks; kubeconfig at .testcluster/kubeconfig. Ports and directory: see layout.ts.
 */
import { parseArgs } from "node:util";
import { layout } from "./layout.ts";
import { down, POD_MODES, type PodMode, status, up } from "./lifecycle.ts";

const usage = "usage: npm run testcluster -- up|down|status [--nodes N] [--pods fast|general]";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { nodes: { type: "string", default: "3" }, pods: { type: "string", default: "fast" } },
  });
  const l = layout();
  const log = (line: string) => console.log(line);
  switch (positionals[0]) {
    case "up": {
      const nodes = Number(values.nodes);
      const pods = values.pods as PodMode;
      if (!Number.isInteger(nodes) || nodes < 1 || !POD_MODES.includes(pods)) {
        console.error(usage);
        return 2;
      }
      await up(l, { nodes, pods, log });
      console.log(`export KUBECONFIG=${l.kubeconfig}`);
      return 0;
    }
    case "down":
      await down(l, log);
      console.log("test cluster stopped");
      return 0;
    case "status": {
      const s = await status(l);
      console.log(JSON.stringify({ ...s, kubeconfig: l.kubeconfig, ports: l.ports }, null, 2));
      return s.ready ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
