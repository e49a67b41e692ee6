/**
 * Promotion: a release available in one channel deployed, exactly as it is, to the next one once
 * that channel's gates pass (or shown with `dryRun`); and a releaser's rejection of a release for
 * a channel. New releases deploy by themselves to channels that say `autoDeploy`.
 */
import { promotionBody, promotionResultSchema, rejectionBody } from "../../api/promotion.ts";
import { appParams, releaseParams } from "../../api/requests.ts";
import { approvalSchema } from "../../api/resources.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { allChannelSettings, gatesRefusal } from "../../delivery/promotion.ts";
import {
  evaluatePromotion,
  type PromotionContext,
  previewPromotion,
} from "../../delivery/promotion-facts.ts";
import { notFound } from "../../store/context.ts";
import type { Release } from "../../store/records.ts";
import type { Actor, Store } from "../../store/store.ts";
import { actorOf, type Principal, roleIn } from "../auth/principal.ts";
import { type HandlerInput, type RouteDef, route } from "../route.ts";

/** What the promotion functions read, from a request's store and the server's platform. */
export function promotionContext(
  input: Omit<HandlerInput<unknown, unknown, unknown>, "principal" | "params" | "query" | "body">,
): PromotionContext {
  return {
    records: input.store,
    channels: input.platform().channels,
    platform: input.releaseSources === undefined ? undefined : () => input.releaseSources!.platform(),
    // The rules a deploy to the channel would check, so the policy gate refuses what it would.
    ...(input.gatePorts === undefined
      ? {}
      : { customRules: input.gatePorts.customRules(), liveHealth: input.gatePorts.liveHealth }),
    now: new Date(),
  };
}

/** A release named in a request: another team's looks missing, another app's is refused. */
export async function namedRelease(
  store: Store,
  principal: Principal,
  app: string,
  id: string,
): Promise<Release> {
  const release = await store.getRelease(id);
  const owner = (await store.getApp(release.appName)).teamName;
  if (!principal.user.isAdmin && roleIn(principal, owner) === undefined) throw notFound("release", id);
  if (release.appName !== app) {
    throw new SlipwayError(ErrorCode.Input, `release ${id} belongs to ${release.appName}, not ${app}`, {
      details: { release: id, app: release.appName },
    });
  }
  return release;
}

/**
 * A new release queued for every channel that deploys new releases by itself (`autoDeploy`;
 * the first channel by default). Channels the server has no target for yet are left out.
 */
export async function deployNewRelease(
  store: Store,
  channels: Parameters<typeof allChannelSettings>[0],
  actor: Actor,
  release: Release,
): Promise<void> {
  for (const channel of allChannelSettings(channels).filter((c) => c.autoDeploy)) {
    const known = await store.getTarget(channel.name).then(
      () => true,
      (error: unknown) => {
        if ((error as { code?: unknown }).code === ErrorCode.NotFound) return false;
        throw error;
      },
    );
    if (!known) continue;
    await store.enqueueDeployment(actor, {
      releaseId: release.id,
      targetName: channel.name,
      cause: { kind: "auto-deploy" },
    });
  }
}

export const promotionRoutes: readonly RouteDef[] = [
  route({
    method: "post",
    path: "/api/v1/apps/:app/promotions",
    summary:
      "Promote the release available in the channel before `to` into `to`, once its gates pass (201, the queued deployment); `dryRun` shows the release, commits, manifest diff, policy and gates (200) and changes nothing",
    params: appParams,
    body: promotionBody,
    response: promotionResultSchema,
    status: 201,
    statusOf: (result) => (result.dryRun ? 200 : 201),
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async (input) => {
      const { store, principal, params, body } = input;
      if (body.release !== undefined) await namedRelease(store, principal, params.app, body.release);
      const ctx = promotionContext(input);
      const evaluation = await evaluatePromotion(ctx, {
        app: params.app,
        to: body.to,
        release: body.release,
      });
      const { candidate, report } = evaluation;
      const release = await store.getRelease(evaluation.release.id);
      const result = {
        app: params.app,
        from: candidate.from,
        to: candidate.to,
        release,
        digest: release.imageDigest,
        gates: { state: report.state, gates: [...report.gates] },
      };
      if (body.dryRun) {
        const preview = await previewPromotion(ctx, evaluation);
        return {
          ...result,
          dryRun: true,
          current: preview.current === undefined ? null : await store.getRelease(preview.current.id),
          deployment: null,
          preview: {
            commits: preview.commits.map((c) => ({
              releaseId: c.releaseId,
              commitSha: c.sha,
              commitAuthor: c.author,
              commitMessage: c.subject,
              commitTime: c.time,
            })),
            commitsNotShown: preview.commitsNotShown,
            diff: preview.diff,
            policy: evaluation.rendered?.policy ?? null,
          },
        };
      }
      if (candidate.underWay !== undefined) {
        const running = candidate.underWay;
        throw new SlipwayError(
          ErrorCode.Conflict,
          `a deployment of ${params.app} to ${candidate.to} is already under way: ${running.id} (#${running.sequence}, ${running.status}); follow it with \`slipway deployments watch ${running.id}\` and promote again once it ends`,
          { details: { deployment: running.id, status: running.status, target: candidate.to } },
        );
      }
      if (candidate.current?.releaseId === release.id) {
        throw new SlipwayError(
          ErrorCode.Conflict,
          `${candidate.to} already runs release ${release.id} (${candidate.current.id}): nothing to promote`,
          { details: { release: release.id, target: candidate.to } },
        );
      }
      if (report.state !== "pass") throw gatesRefusal(params.app, candidate.to, report);
      const deployment = await store.enqueueDeployment(actorOf(principal), {
        releaseId: release.id,
        targetName: candidate.to,
        cause: { kind: "promotion", fromTarget: candidate.from, exclusive: true },
      });
      const current =
        candidate.current === undefined ? null : await store.getRelease(candidate.current.releaseId);
      return { ...result, dryRun: false, current, deployment, preview: null };
    },
  }),
  route({
    method: "post",
    path: "/api/v1/releases/:release/rejections",
    summary: "Reject a release for a channel, with the reason: the channel's approvals gate fails for it",
    params: releaseParams,
    body: rejectionBody,
    response: approvalSchema,
    status: 201,
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) =>
      (await store.getApp((await store.getRelease(params.release)).appName)).teamName,
    concealed: ({ release }) => notFound("release", release),
    handle: ({ store, principal, params, body }) =>
      store.rejectRelease(actorOf(principal), {
        releaseId: params.release,
        targetName: body.target,
        reason: body.reason,
      }),
  }),
];
