/**
 * What each of the two racing writers does: deploy the same release to the same target, create the
 * same releases, and increment a counter kept in the app with read-modify-write and retry on
 * conflict. Fixture names are fixed so both processes act on the same rows.
 */
import { ErrorCode, isSlipwayError } from "../../src/core/errors.ts";
import type { Store } from "../../src/store/store.ts";

export const race = { team: "racers", app: "contested", target: "staging", firstCommit: "a0a0a0a" } as const;

export function raceDigest(i: number): string {
  return `sha256:${i.toString(16).padStart(64, "0")}`;
}

export interface RaceResult {
  deployments: string[];
  /** Release id per round, to compare with the other writer's. */
  releases: string[];
  increments: number;
}

export async function raceWorkload(store: Store, who: string, rounds: number): Promise<RaceResult> {
  const actor = { userId: who, subject: `test:${who}` };
  const first = await store.createRelease(actor, {
    appName: race.app,
    commitSha: race.firstCommit,
    imageDigest: raceDigest(0),
    specHash: "0".repeat(64),
    secretsHash: "0".repeat(64),
    commitTime: null,
  });
  const result: RaceResult = { deployments: [], releases: [], increments: 0 };
  for (let i = 1; i <= rounds; i++) {
    const [deployment, release] = await Promise.all([
      store.startDeployment(actor, { releaseId: first.release.id, targetName: race.target }),
      store.createRelease(actor, {
        appName: race.app,
        commitSha: `b${i.toString(16).padStart(6, "0")}`,
        imageDigest: raceDigest(i),
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      }),
      incrementCounter(store, actor),
    ]);
    result.deployments.push(deployment.id);
    result.releases.push(release.release.id);
    result.increments++;
  }
  return result;
}

async function incrementCounter(store: Store, actor: { userId: string; subject: string }): Promise<void> {
  for (;;) {
    const app = await store.getApp(race.app);
    try {
      await store.updateApp(actor, race.app, {
        expectedVersion: app.version,
        description: String(Number(app.description || "0") + 1),
      });
      return;
    } catch (error) {
      if (!isSlipwayError(error) || error.code !== ErrorCode.Conflict) throw error;
    }
  }
}
