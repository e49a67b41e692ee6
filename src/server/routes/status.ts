/** The channel matrix of an app: what each channel runs, and the gates of the promotion into it. */
import { appStatusSchema } from "../../api/promotion.ts";
import { appParams } from "../../api/requests.ts";
import { isSlipwayError } from "../../core/errors.ts";
import { allChannelSettings, channelState, type DeploymentRecord } from "../../delivery/promotion.ts";
import { channelDeployments, evaluatePromotion } from "../../delivery/promotion-facts.ts";
import { notFound } from "../../store/context.ts";
import { type RouteDef, route } from "../route.ts";
import { promotionContext } from "./promotions.ts";

export const statusRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/apps/:app/status",
    summary:
      "The app's channel matrix: per channel the release, digest, commit, deployment state and age, and the gates of the next promotion into it",
    params: appParams,
    response: appStatusSchema,
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async (input) => {
      const { store, params } = input;
      const ctx = promotionContext(input);
      const app = await store.getApp(params.app);
      const settings = allChannelSettings(ctx.channels);
      const [states, causes, stop] = await Promise.all([
        Promise.all(
          settings.map(async (c) => channelState(await channelDeployments(store, app.name, c.name))),
        ),
        store.listDeploymentCauses(app.name),
        store.getLineStop(),
      ]);
      const causeOf = new Map(causes.map((c) => [c.deploymentId, c.kind]));
      const brief = (d: DeploymentRecord | undefined) =>
        d === undefined
          ? null
          : {
              id: d.id,
              sequence: d.sequence,
              status: d.status as never,
              releaseId: d.releaseId,
              startedAt: d.startedAt,
              availableAt: d.availableAt,
              cause: causeOf.get(d.id) ?? null,
            };
      const channels = await Promise.all(
        settings.map(async (channel, i) => {
          const state = states[i]!;
          const live = state.live;
          const release = live === undefined ? undefined : await store.getRelease(live.releaseId);
          return {
            name: channel.name,
            promote: channel.promote,
            autoDeploy: channel.autoDeploy,
            rollbackOnFailure: channel.rollbackOnFailure,
            release:
              release === undefined
                ? null
                : {
                    id: release.id,
                    digest: release.imageDigest,
                    commitSha: release.commitSha,
                    createdAt: release.createdAt,
                  },
            live: brief(live),
            latest: state.latest === live ? null : brief(state.latest),
            ageSeconds:
              live?.availableAt == null
                ? null
                : Math.max(0, Math.floor((ctx.now.getTime() - Date.parse(live.availableAt)) / 1000)),
            next: await nextPromotion(i),
          };
        }),
      );
      return {
        app: app.name,
        team: app.teamName,
        at: ctx.now.toISOString(),
        line: {
          stopped: stop !== null,
          stop:
            stop === null
              ? null
              : { reason: stop.reason, stoppedBy: stop.stoppedBy, stoppedAt: stop.stoppedAt },
        },
        channels,
      };

      async function nextPromotion(i: number) {
        const from = settings[i - 1];
        if (from === undefined) return null;
        const source = states[i - 1]!.live;
        const none = (note: string) => ({
          from: from.name,
          releaseId: null,
          upToDate: false,
          gates: null,
          note,
        });
        if (source === undefined) return none(`nothing is available in ${from.name}`);
        if (states[i]!.live?.releaseId === source.releaseId) {
          return { from: from.name, releaseId: source.releaseId, upToDate: true, gates: null, note: null };
        }
        try {
          const evaluation = await evaluatePromotion(ctx, { app: app.name, to: settings[i]!.name });
          return {
            from: from.name,
            releaseId: evaluation.release.id,
            upToDate: false,
            gates: { state: evaluation.report.state, gates: [...evaluation.report.gates] },
            note: null,
          };
        } catch (error) {
          if (!isSlipwayError(error)) throw error;
          return none(error.message);
        }
      }
    },
  }),
];
