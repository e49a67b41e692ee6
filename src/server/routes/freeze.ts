/** The platform-wide line stop: while it holds, no promotion passes its gates. */
import { lineStateSchema, stopLineBody } from "../../api/promotion.ts";
import type { Store } from "../../store/store.ts";
import { actorOf } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";

async function lineState(store: Store) {
  const stop = await store.getLineStop();
  return {
    stopped: stop !== null,
    stop:
      stop === null ? null : { reason: stop.reason, stoppedBy: stop.stoppedBy, stoppedAt: stop.stoppedAt },
  };
}

export const freezeRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/freeze",
    summary: "Whether the line is stopped (no promotion passes), by whom, since when and why",
    response: lineStateSchema,
    access: { scope: "authenticated" },
    handle: ({ store }) => lineState(store),
  }),
  route({
    method: "put",
    path: "/api/v1/freeze",
    summary: "Stop the line for every app and channel, with the reason (platform administrators)",
    body: stopLineBody,
    response: lineStateSchema,
    access: { scope: "platform-admin" },
    handle: async ({ store, principal, body }) => {
      await store.setLineStop(actorOf(principal), { reason: body.reason });
      return lineState(store);
    },
  }),
  route({
    method: "delete",
    path: "/api/v1/freeze",
    summary: "Resume the line (platform administrators)",
    response: lineStateSchema,
    access: { scope: "platform-admin" },
    handle: async ({ store, principal }) => {
      await store.setLineStop(actorOf(principal), null);
      return lineState(store);
    },
  }),
];
