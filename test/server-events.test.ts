/**
 * `GET /api/v1/events` in-process: status changes as Server-Sent Events, only of the caller's
 * teams, resumable with Last-Event-ID without a gap or a repeat, one deployment's whole history.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Hono } from "hono";
import { authenticator } from "../src/server/auth/authenticate.ts";
import { errorResponse } from "../src/server/http-errors.ts";
import { mountEvents } from "../src/server/routes/events.ts";
import { type Store, systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";

interface Received {
  id: number;
  event: string;
  data: {
    seq: number;
    deploymentId: string;
    appName: string;
    teamName: string;
    status: string;
    message: string;
  };
}

/** Reads SSE messages from a response until `count` arrived or `ms` passed, then hangs up. */
async function readEvents(response: Response, count: number, ms = 3_000): Promise<Received[]> {
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const received: Received[] = [];
  let buffer = "";
  const deadline = Date.now() + ms;
  try {
    while (received.length < count && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true; value: undefined }>((resolve) =>
          setTimeout(() => resolve({ done: true, value: undefined }), Math.max(1, deadline - Date.now())),
        ),
      ]);
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((line) => !line.startsWith(":"))
            .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        );
        if (fields.data !== undefined) {
          received.push({ id: Number(fields.id), event: fields.event ?? "", data: JSON.parse(fields.data) });
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return received;
}

describe("GET /api/v1/events", () => {
  let h: Harness;
  let store: Store;
  const releases: Record<string, string> = {};

  before(async () => {
    h = await createHarness();
    store = h.store;
    await store.createTarget(systemActor, { name: "develop", kind: "channel" });
    for (const [app, team] of [
      ["checkout", "payments"],
      ["search-api", "search"],
    ] as const) {
      await store.createApp(systemActor, { name: app, teamName: team, description: "" });
      releases[app] = (
        await store.createRelease(systemActor, {
          appName: app,
          commitSha: "1234567",
          imageDigest: `sha256:${"a".repeat(64)}`,
          specHash: "1".repeat(64),
          secretsHash: "2".repeat(64),
          commitTime: null,
        })
      ).release.id;
    }
  });
  after(() => h.dispose());

  const deploy = (app: string) =>
    store.enqueueDeployment(systemActor, { releaseId: releases[app] ?? "", targetName: "develop" });

  test("streams the caller's teams' status changes as they happen, never another team's", async () => {
    const response = await h.call("GET", "/api/v1/events", { as: "viewer" });
    const reading = readEvents(response, 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const first = await deploy("checkout");
    await deploy("search-api");
    const second = await deploy("checkout");
    const events = await reading;
    assert.deepEqual(
      events.map((e) => [e.event, e.data.deploymentId, e.data.status]),
      [
        ["status", first.id, "pending"],
        ["status", second.id, "pending"],
        ["status", first.id, "superseded"],
      ],
    );
    assert.ok(events.every((e) => e.data.teamName === "payments" && e.id === e.data.seq));
    assert.match(events[2]?.data.message ?? "", /superseded by .* before it started/);
  });

  test("Last-Event-ID resumes right after that event: nothing missed, nothing twice", async () => {
    await store.numberEvents();
    const all = await store.listEvents({ after: 0, limit: 1000 });
    const mine = all.filter((e) => e.teamName === "payments");
    const from = mine[0]?.seq ?? 0;
    const response = await h.call("GET", "/api/v1/events", {
      as: "platform-admin",
      headers: { "last-event-id": String(from) },
    });
    const events = await readEvents(response, all.length, 1_000);
    assert.deepEqual(
      events.map((e) => e.id),
      all.filter((e) => e.seq > from).map((e) => e.seq),
      "an administrator sees every team's",
    );
  });

  test("?deployment= gives that deployment's whole history; another team's is not found", async () => {
    const d = await deploy("search-api");
    const events = await readEvents(
      await h.call("GET", `/api/v1/events?deployment=${d.id}`, { as: "outsider" }),
      1,
    );
    assert.deepEqual(
      events.map((e) => [e.data.deploymentId, e.data.status, e.data.message]),
      [[d.id, "pending", "queued"]],
    );
    const hidden = await h.call("GET", `/api/v1/events?deployment=${d.id}`, { as: "releaser" });
    assert.equal(hidden.status, 404);
    const missing = await h.call("GET", `/api/v1/events?deployment=dep_${"0".repeat(28)}`, {
      as: "releaser",
    });
    assert.equal(missing.status, 404);
    assert.equal(
      ((await hidden.json()) as { error: { message: string } }).error.message,
      ((await missing.json()) as { error: { message: string } }).error.message.replace(
        `dep_${"0".repeat(28)}`,
        d.id,
      ),
    );
  });

  test("refusals: no token, a Last-Event-ID that is not a number, an unknown parameter", async () => {
    assert.equal((await h.call("GET", "/api/v1/events")).status, 401);
    const bad = await h.call("GET", "/api/v1/events", { as: "viewer", headers: { "last-event-id": "abc" } });
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { error: { message: string } }).error.message,
      /Last-Event-ID "abc" is not an event number/,
    );
    assert.equal((await h.call("GET", "/api/v1/events?team=x", { as: "viewer" })).status, 400);
  });
});

describe("GET /api/v1/events after the caller leaves the team", () => {
  test("a member removed from the team stops receiving its events at the next heartbeat", async () => {
    const h = await createHarness();
    try {
      const store = h.store;
      await store.createTarget(systemActor, { name: "develop", kind: "channel" });
      await store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
      const { release } = await store.createRelease(systemActor, {
        appName: "checkout",
        commitSha: "1234567",
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      });
      // The stream with a short heartbeat, mounted as the server mounts it.
      const app = new Hono();
      app.onError((error) => errorResponse(error, { error: () => {}, info: () => {} }));
      mountEvents(app, {
        store,
        authenticate: authenticator({ store }),
        logger: { error: () => {}, info: () => {} },
        pollMs: 20,
        heartbeatMs: 100,
      });
      const response = await app.request("/api/v1/events", {
        headers: { authorization: `Bearer ${h.tokens.viewer}` },
      });
      const reading = readEvents(response, 2, 2_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = await store.enqueueDeployment(systemActor, {
        releaseId: release.id,
        targetName: "develop",
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const viewer = await store.ensureUser(systemActor, { subject: "test:viewer", displayName: "viewer" });
      await store.setMembership(systemActor, "payments", viewer.id, null);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const afterLeaving = await store.enqueueDeployment(systemActor, {
        releaseId: release.id,
        targetName: "develop",
      });
      const events = await reading;
      assert.deepEqual(
        events.filter((e) => e.event === "status").map((e) => e.data.deploymentId),
        [before.id],
        `the stream went on after the viewer left payments: ${afterLeaving.id}`,
      );
    } finally {
      await h.dispose();
    }
  });
});
