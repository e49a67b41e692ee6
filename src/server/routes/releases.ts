/**
 * Releases: created from a commit of the app's repository and an image digest (the server reads
 * the repository itself, checks what it read and stores a snapshot), listed, read, approved.
 */
import { z } from "zod";
import {
  appParams,
  approvalBody,
  createReleaseBody,
  pageQuerySchema,
  releaseParams,
} from "../../api/requests.ts";
import { approvalSchema, pageOf, releaseCreatedSchema, releaseSchema } from "../../api/resources.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { checkReleaseRepository } from "../../delivery/repository-allowlist.ts";
import { parseImageRef } from "../../render/image.ts";
import { notFound } from "../../store/context.ts";
import { actorOf } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";
import { deployNewRelease } from "./promotions.ts";

export const releaseRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/apps/:app/releases",
    summary: "An app's releases, newest first",
    params: appParams,
    query: pageQuerySchema,
    response: pageOf(releaseSchema),
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: ({ store, params, query }) => store.listReleases(params.app, query),
  }),
  route({
    method: "post",
    path: "/api/v1/apps/:app/releases",
    summary:
      "Create a release from a commit of the app's repository and an image digest: the server reads slipway.yaml and the secret files at the commit, validates them and keeps a snapshot. The same commit and digest again returns the existing release (200)",
    params: appParams,
    body: createReleaseBody,
    response: releaseCreatedSchema,
    status: 201,
    statusOf: ({ created }) => (created ? 201 : 200),
    access: { scope: "team", role: "developer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async ({ store, principal, params, body, releaseSources, platform }) => {
      if (releaseSources === undefined) {
        throw new SlipwayError(ErrorCode.Unavailable, "this server does not read repositories");
      }
      const app = await store.getApp(params.app);
      // A token in the URL (how CI lends the server access to a private repository) fetches this
      // once; the release, the audit log and every answer keep the URL without it.
      const repository = releaseSources.show(body.repository);
      // Before anything is fetched: the server's own credentials must not read another team's repository.
      checkReleaseRepository(
        (await releaseSources.platform()).platform.teams,
        app.teamName,
        app.name,
        repository,
      );
      const digest = parseImageRef(body.image).digest;
      // A release is immutable: asked again (a CI retry), the one recorded is the answer, even if
      // the repository has gone or the platform has changed since.
      if (digest !== undefined) {
        const existing = await store.findRelease(app.name, { commitSha: body.commit, imageDigest: digest });
        if (existing?.repository === repository && existing.path === body.path) {
          return { release: existing, created: false };
        }
      }
      // Loaded on first use: the spec parser and the renderer are not needed to serve reads.
      const { readRelease, recordedCommits } = await import("../../delivery/release-from-git.ts");
      // The commits this release brings start after the app's newest release.
      const previous = (await store.listReleases(app.name, { limit: 1 })).items[0];
      const read = await readRelease(
        releaseSources.repositories,
        await releaseSources.platform(),
        app,
        body,
        repository,
        previous,
      );
      const { commit, commits } = read;
      const made = await store.createRelease(actorOf(principal), {
        appName: app.name,
        commitSha: commit.commit,
        imageDigest: read.imageDigest,
        specHash: read.specHash,
        secretsHash: read.secretsHash,
        commitTime: commit.authoredAt,
        repository,
        path: body.path,
        commitAuthor: `${commit.authorName} <${commit.authorEmail}>`,
        commitMessage: commit.message,
        committedAt: commit.committedAt,
        files: read.files,
        commits: recordedCommits(commits, previous?.id),
      });
      // A new release goes to the channels that take every new release (the first, by default).
      if (made.created) await deployNewRelease(store, platform().channels, actorOf(principal), made.release);
      return made;
    },
  }),
  route({
    method: "get",
    path: "/api/v1/releases/:release",
    summary: "One release with its approvals",
    params: releaseParams,
    response: releaseSchema.extend({ approvals: z.array(approvalSchema) }),
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) =>
      (await store.getApp((await store.getRelease(params.release)).appName)).teamName,
    concealed: ({ release }) => notFound("release", release),
    handle: async ({ store, params }) => ({
      ...(await store.getRelease(params.release)),
      approvals: [...(await store.listApprovals(params.release))],
    }),
  }),
  route({
    method: "post",
    path: "/api/v1/releases/:release/approvals",
    summary: "Approve a release for a target",
    params: releaseParams,
    body: approvalBody,
    response: approvalSchema,
    status: 201,
    access: { scope: "team", role: "releaser" },
    team: async ({ params, store }) =>
      (await store.getApp((await store.getRelease(params.release)).appName)).teamName,
    concealed: ({ release }) => notFound("release", release),
    handle: ({ store, principal, params, body }) =>
      store.recordApproval(actorOf(principal), { releaseId: params.release, targetName: body.target }),
  }),
];
