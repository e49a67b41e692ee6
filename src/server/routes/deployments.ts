/** Targets and deployments. */

import {
  appParams,
  createDeploymentBody,
  createTargetBody,
  deploymentParams,
  deploymentStatusBody,
  deploymentsQuery,
  pageQuerySchema,
} from "../../api/requests.ts";
import { deploymentDetailSchema, deploymentSchema, pageOf, targetSchema } from "../../api/resources.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { notFound } from "../../store/context.ts";
import { actorOf, roleIn } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";

export const deploymentRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/targets",
    summary: "Channels and previews, by name",
    query: pageQuerySchema,
    response: pageOf(targetSchema),
    access: { scope: "authenticated" },
    handle: ({ store, query }) => store.listTargets(query),
  }),
  route({
    method: "post",
    path: "/api/v1/targets",
    summary: "Define a target (platform administrators)",
    body: createTargetBody,
    response: targetSchema,
    status: 201,
    access: { scope: "platform-admin" },
    handle: ({ store, principal, body }) => store.createTarget(actorOf(principal), body),
  }),
  route({
    method: "get",
    path: "/api/v1/apps/:app/deployments",
    summary: "An app's deployments, newest first, optionally to one target",
    params: appParams,
    query: deploymentsQuery,
    response: pageOf(deploymentSchema),
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: ({ store, params, query }) =>
      store.listDeployments(
        { appName: params.app, targetName: query.target },
        { limit: query.limit, cursor: query.cursor },
      ),
  }),
  route({
    method: "post",
    path: "/api/v1/apps/:app/deployments",
    summary: "Deploy a release of the app to a target: queued, then run by the server's engine",
    params: appParams,
    body: createDeploymentBody,
    response: deploymentSchema,
    status: 201,
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async ({ store, principal, params, body, platform }) => {
      const release = await store.getRelease(body.release);
      // Another team's release looks exactly like a missing one: its app's name is theirs to know.
      const owner = (await store.getApp(release.appName)).teamName;
      if (!principal.user.isAdmin && roleIn(principal, owner) === undefined) {
        throw notFound("release", body.release);
      }
      if (release.appName !== params.app) {
        throw new SlipwayError(
          ErrorCode.Input,
          `release ${body.release} belongs to ${release.appName}, not ${params.app}`,
          {
            details: { release: body.release, app: release.appName },
          },
        );
      }
      refuseGatedChannel(platform().channels, params.app, body.target, principal.user.isAdmin);
      // Queued for the engine, which renders, gates, applies and tracks it (`src/engine/`).
      return store.enqueueDeployment(actorOf(principal), {
        releaseId: body.release,
        targetName: body.target,
      });
    },
  }),
  route({
    method: "get",
    path: "/api/v1/deployments/:deployment",
    summary: "One deployment with its status history",
    params: deploymentParams,
    response: deploymentDetailSchema,
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) =>
      (await store.getApp((await store.getDeployment(params.deployment)).appName)).teamName,
    concealed: ({ deployment }) => notFound("deployment", deployment),
    handle: async ({ store, params }) => ({
      ...(await store.getDeployment(params.deployment)),
      events: [...(await store.deploymentEvents(params.deployment))],
    }),
  }),
  route({
    method: "post",
    path: "/api/v1/deployments/:deployment/status",
    summary: "Record a deployment's progress (progressing, available, failed)",
    params: deploymentParams,
    body: deploymentStatusBody,
    response: deploymentSchema,
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) =>
      (await store.getApp((await store.getDeployment(params.deployment)).appName)).teamName,
    concealed: ({ deployment }) => notFound("deployment", deployment),
    handle: ({ store, principal, params, body }) =>
      store.recordDeploymentStatus(actorOf(principal), {
        deploymentId: params.deployment,
        status: body.status,
        message: body.message,
      }),
  }),
];

/**
 * A channel after the first is reached by promotion, through its gates (soak, approvals, windows,
 * freezes, the line stop), or left by rollback: a plain deployment there would skip every gate. A
 * platform administrator may still deploy there directly (recorded and audited as theirs).
 */
function refuseGatedChannel(
  channels: readonly { readonly name: string }[],
  app: string,
  target: string,
  isAdmin: boolean,
): void {
  const index = channels.findIndex((c) => c.name === target);
  const previous = index > 0 ? channels[index - 1]?.name : undefined;
  if (previous === undefined || isAdmin) return;
  throw new SlipwayError(
    ErrorCode.Forbidden,
    `${target} comes after ${previous}: a release reaches it by promotion, through its gates (\`slipway promote ${app} --to ${target}\`), or goes back with \`slipway rollback ${app} --channel ${target}\`; deploying to it directly needs a platform administrator`,
    { details: { target, previous, required: "platform-admin" } },
  );
}
