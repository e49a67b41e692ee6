/**
 * `npm run testcluster -- up|down|status [--nodes N] [--pods fast|general] [--clusters 1|2]`
 *
 * Runs a real Kubernetes control plane (built by `npm run tools`) as local processes for tests and
 * benchmarks; kubeconfig at .testcluster/kubeconfig. Ports and directory: see layout.ts.
 * `--clusters 2` also starts the second cluster (second.ts; kubeconfig .testcluster/second/kubeconfig);
 * `down` stops both.
 */
import { parseArgs } from "node:util";
import { layout, secondLayout } from "./layout.ts";
import { down, POD_MODES, type PodMode, status, up } from "./lifecycle.ts";
import { secondStatus, upSecond } from "./second.ts";

const usage =
  "usage: npm run testcluster -- up|down|status [--nodes N] [--pods fast|general] [--clusters 1|2]";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      nodes: { type: "string", default: "3" },
      pods: { type: "string", default: "fast" },
      clusters: { type: "string", default: "1" },
    },
  });
  const l = layout();
  const log = (line: string) => console.log(line);
  switch (positionals[0]) {
    case "up": {
      const nodes = Number(values.nodes);
      const pods = values.pods as PodMode;
      const clusters = values.clusters;
      if (
        !Number.isInteger(nodes) ||
        nodes < 1 ||
        !POD_MODES.includes(pods) ||
        !["1", "2"].includes(clusters)
      ) {
        console.error(usage);
        return 2;
      }
      await up(l, { nodes, pods, log });
      if (clusters === "2") {
        const second = await upSecond(l, { nodes, pods, log });
        console.log(`export KUBECONFIG=${l.kubeconfig}:${second.kubeconfig}`);
        return 0;
      }
      console.log(`export KUBECONFIG=${l.kubeconfig}`);
      return 0;
    }
    case "down":
      await down(l, log);
      console.log("test cluster stopped");
      return 0;
    case "status": {
      const s = await status(l);
      const second = await secondStatus(l);
      const secondShown =
        second.running.length > 0 || second.state !== undefined
          ? { second: { ...second, kubeconfig: secondLayout(l).kubeconfig, ports: secondLayout(l).ports } }
          : {};
      console.log(
        JSON.stringify({ ...s, kubeconfig: l.kubeconfig, ports: l.ports, ...secondShown }, null, 2),
      );
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
