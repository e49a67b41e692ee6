/** Rollback: the release that was available in a channel before deployed again, recorded as a rollback. */
import { rollbackBody, rollbackResultSchema } from "../../api/promotion.ts";
import { appParams } from "../../api/requests.ts";
import { channelSettings, rollbackTarget } from "../../delivery/promotion.ts";
import { channelDeployments } from "../../delivery/promotion-facts.ts";
import { notFound } from "../../store/context.ts";
import { actorOf } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";
import { namedRelease } from "./promotions.ts";

export const rollbackRoutes: readonly RouteDef[] = [
  route({
    method: "post",
    path: "/api/v1/apps/:app/rollbacks",
    summary:
      "Roll a channel back: deploy the release that was available there before the current one (or the one named in `to`) as a new deployment recorded as a rollback",
    params: appParams,
    body: rollbackBody,
    response: rollbackResultSchema,
    status: 201,
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async ({ store, principal, params, body, platform }) => {
      channelSettings(platform().channels, body.channel);
      if (body.to !== undefined) await namedRelease(store, principal, params.app, body.to);
      const deployments = await channelDeployments(store, params.app, body.channel);
      const plan = rollbackTarget(body.channel, deployments, body.to);
      // Not exclusive: a rollback is urgent; it queues behind what runs and supersedes what waits.
      const deployment = await store.enqueueDeployment(actorOf(principal), {
        releaseId: plan.releaseId,
        targetName: body.channel,
        cause: { kind: "rollback", rollbackOf: plan.undoes.id, reason: body.reason },
      });
      return {
        channel: body.channel,
        deployment,
        release: await store.getRelease(plan.releaseId),
        undoes: plan.undoes.id,
        restores: plan.restores.id,
      };
    },
  }),
];
