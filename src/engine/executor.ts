/**
 * The engine's one port: how a claimed deployment is carried out. The server hands in one that
 * calls the deployment use case (`release-executor.ts`); tests hand in fakes. The engine owns
 * leases, deadlines and final states; an executor only does the work and reports its stages.
 */
import type { Deployment } from "../store/records.ts";

/** Stages an executor reports on the way; the final state is its return value. */
export type Stage = "rendering" | "applying" | "progressing";

export interface EngineJob {
  readonly deployment: Deployment;
  /** 1 on the first claim; more after a takeover or a restart. */
  readonly attempt: number;
  readonly deadlineAt: Date;
  /**
   * A previous claim recorded `applying` and then stopped: the target may already hold this
   * deployment, whole or in part. Apply idempotently (the same objects again write nothing), or
   * ask the target first; never count on it not having happened.
   */
  readonly applyMayHaveHappened: boolean;
  /**
   * Records a stage under this claim. `applying` is the fence: call it right before writing to the
   * target, and write only if it resolves. It rejects once the claim is lost (another replica took
   * the job over, the deadline passed): stop then, without writing anything.
   */
  record(stage: Stage, message: string): Promise<void>;
}

export interface Outcome {
  readonly status: "available" | "failed" | "rolled-back";
  readonly message: string;
}

/**
 * Runs one deployment. `signal` aborts at the deadline, when the claim is lost and when the server
 * stops; an executor passes it on to whatever waits (requests, rollout tracking). A thrown error is
 * the deployment's failure, its message recorded as the reason.
 */
export type Executor = (job: EngineJob, signal: AbortSignal) => Promise<Outcome>;
