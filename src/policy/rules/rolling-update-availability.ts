import { dig, int, text } from "../access.ts";
import { changed, deployment } from "../fixtures.ts";
import { defineRule, none } from "../rule-kit.ts";

/** maxUnavailable as the Deployment controller resolves it: percentages round down. */
function resolve(value: unknown, replicas: number): number | undefined {
  const n = int(value);
  if (n !== undefined) return n;
  const s = text(value);
  const m = s === undefined ? null : /^(\d+)%$/.exec(s);
  return m ? Math.floor((replicas * Number(m[1])) / 100) : undefined;
}

export const rollingUpdateAvailability = defineRule({
  id: "rolling-update-availability",
  title: "A rolling update cannot take all pods down",
  rationale:
    "With maxUnavailable at or above the replica count, a rollout may stop every old pod before a new one is ready: a deploy becomes an outage.",
  severity: "error",
  hint: "Keep spec.strategy.rollingUpdate.maxUnavailable below the replica count (0 with maxSurge ≥ 1 is the zero-downtime choice).",
  kinds: ["Deployment"],
  check: (o, { index }) => {
    if ((text(dig(o, "spec", "strategy", "type")) ?? "RollingUpdate") !== "RollingUpdate") return none;
    const replicas = index.minimumReplicasOf(o);
    if (replicas < 1) return none;
    const raw = dig(o, "spec", "strategy", "rollingUpdate", "maxUnavailable") ?? "25%";
    const max = resolve(raw, replicas);
    return max !== undefined && max >= replicas
      ? [
          {
            path: "spec.strategy.rollingUpdate.maxUnavailable",
            message: `maxUnavailable ${JSON.stringify(raw)} lets a rollout stop all ${replicas} replicas`,
          },
        ]
      : none;
  },
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment("web", 2), (d) => {
        (d.spec as { strategy: unknown }).strategy = {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: "100%" },
        };
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.strategy.rollingUpdate.maxUnavailable",
      message: 'maxUnavailable "100%" lets a rollout stop all 2 replicas',
    },
  },
});
