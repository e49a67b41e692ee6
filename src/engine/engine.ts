/**
 * The server's job runner: the only place in Slipway that schedules work. Each replica runs one;
 * they share the jobs through the store (ADR 0010):
 *
 * - It claims queued deployments (one in flight per app × target, oldest first) and deployments
 *   whose replica stopped renewing its lease, up to `concurrency` at a time.
 * - While it works on one, it renews the lease every third of its length; a renewal refused (taken
 *   over) or not confirmed before the lease would run out aborts the work: another replica may
 *   have it by then.
 * - Every status it records names the claim's fence, so a replica that froze and wakes up after a
 *   takeover writes nothing. `applying` is recorded right before the target is written: a successor
 *   learns that an apply may have happened and the executor applies idempotently.
 * - Each job has an overall deadline, counted from its first claim; past it the deployment fails
 *   with the stage it was in, and it is not run again.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ErrorCode, isSlipwayError } from "../core/errors.ts";
import type { ClaimedJob, Deployment, DeploymentStatus } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { EngineJob, Executor, Outcome, Stage } from "./executor.ts";

export interface EngineOptions {
  /** The store without a read cache in front: the engine reads what it is about to change. */
  readonly store: Store;
  readonly executor: Executor;
  /** This replica's name in leases and takeover messages; default host, pid and a random tag. */
  readonly owner?: string;
  /** How long a claim lasts without renewal (default 15 s): the takeover time after a crash. */
  readonly leaseMs?: number;
  /** A job's overall deadline from its first claim (default 15 minutes). */
  readonly timeoutMs?: number;
  /** How often to look for work when idle (default 500 ms). */
  readonly pollMs?: number;
  /**
   * Jobs run at once by this replica (default 32). Most of a job's time is spent waiting for a
   * rollout or a repository, not computing: a slot held while pods start is a slot idle.
   */
  readonly concurrency?: number;
  readonly log: (line: string) => void;
}

const order: Readonly<Record<DeploymentStatus, number>> = {
  pending: 0,
  rendering: 1,
  applying: 2,
  progressing: 3,
  available: 4,
  failed: 4,
  superseded: 4,
  "rolled-back": 4,
};

/** Why a job's work was stopped from outside the executor. */
class Stop extends Error {
  readonly kind: "deadline" | "lost" | "shutdown";
  constructor(kind: "deadline" | "lost" | "shutdown", message: string) {
    super(message);
    this.kind = kind;
  }
}

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export class Engine {
  readonly owner: string;
  readonly #store: Store;
  readonly #executor: Executor;
  readonly #leaseMs: number;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #log: (line: string) => void;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void>; fence: number }>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = true;
  #again = false;
  #failingSince: number | undefined;

  constructor(options: EngineOptions) {
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
    this.#store = options.store;
    this.#executor = options.executor;
    this.#leaseMs = options.leaseMs ?? 15_000;
    this.#timeoutMs = options.timeoutMs ?? 15 * 60_000;
    this.#pollMs = options.pollMs ?? 500;
    this.#concurrency = options.concurrency ?? 32;
    this.#log = options.log;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /**
   * Stops claiming, aborts the jobs in hand and gives them back, so another replica (or this one,
   * restarted) takes them over at once instead of after the lease.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
    for (const run of this.#running.values())
      run.controller.abort(new Stop("shutdown", "the server is stopping"));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /**
   * Looks for work now instead of at the next poll: a deployment was just queued in this process
   * (a promotion, a new release), and waiting up to a poll interval would be most of its latency.
   */
  wake(): void {
    this.#schedule(0);
  }

  /** Jobs this replica is working on now. */
  get busy(): number {
    return this.#running.size;
  }

  /** One round of claiming (tests drive the engine with it); resolves once the claims started. */
  async poll(): Promise<number> {
    const free = this.#concurrency - this.#running.size;
    if (free <= 0) return 0;
    let claimed: readonly ClaimedJob[];
    try {
      claimed = await this.#store.claimJobs({
        owner: this.owner,
        leaseMs: this.#leaseMs,
        timeoutMs: this.#timeoutMs,
        limit: free,
      });
      if (this.#failingSince !== undefined) this.#log("engine: the store answers again; claiming jobs");
      this.#failingSince = undefined;
    } catch (error) {
      // A database outage: say so once, keep polling, never crash the server.
      if (this.#failingSince === undefined) {
        this.#failingSince = Date.now();
        this.#log(
          `engine: cannot claim jobs (${describe(error)}); retrying every ${formatDuration(this.#pollMs)}`,
        );
      }
      return 0;
    }
    for (const claim of claimed) this.#begin(claim);
    return claimed.length;
  }

  /** One poll at a time: a poll asked for while one runs follows it at once. */
  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#polling !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#polling = this.poll()
        .then(
          () => {},
          (error: unknown) => this.#log(`engine: ${describe(error)}`),
        )
        .finally(() => {
          this.#polling = undefined;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : this.#pollMs);
        });
    }, delayMs);
  }

  #begin(claim: ClaimedJob): void {
    const controller = new AbortController();
    const id = claim.job.deploymentId;
    const done = this.#run(claim, controller)
      .catch((error: unknown) => this.#log(`engine: ${id}: ${describe(error)}`))
      .finally(() => {
        this.#running.delete(id);
        // A slot is free, and the job that finished may have been what another waited for.
        this.#schedule(0);
      });
    this.#running.set(id, { controller, done, fence: claim.job.fence });
  }

  async #run(claim: ClaimedJob, controller: AbortController): Promise<void> {
    const { job } = claim;
    const write = { deploymentId: job.deploymentId, owner: this.owner, fence: job.fence };
    const signal = controller.signal;
    let deployment: Deployment = await this.#store.getDeployment(job.deploymentId);
    let last = { status: deployment.status as DeploymentStatus, message: "" };
    if (claim.takenOverFrom !== null) {
      this.#log(`engine: took over ${job.deploymentId} (${deployment.status}) from ${claim.takenOverFrom}`);
    }

    // Lease renewal: refused means taken over; unconfirmed for most of a lease means it may be.
    let confirmedAt = performance.now();
    const renew = setInterval(() => {
      // A renewal that hangs (a frozen database) is no renewal: stop before the lease can run out.
      if (performance.now() - confirmedAt > this.#leaseMs * 0.8) {
        controller.abort(new Stop("lost", "the lease could not be renewed before it ran out"));
        return;
      }
      this.#store.renewJobLease({ ...write, leaseMs: this.#leaseMs }).then(
        (held) => {
          if (!held) controller.abort(new Stop("lost", "another replica holds the job now"));
          else confirmedAt = performance.now();
        },
        () => {
          if (performance.now() - confirmedAt > this.#leaseMs * 0.8) {
            controller.abort(new Stop("lost", "the lease could not be renewed before it ran out"));
          }
        },
      );
    }, this.#leaseMs / 3);
    const deadlineAt = new Date(claim.deadlineAt);
    const deadline = setTimeout(
      () => controller.abort(new Stop("deadline", `deadline ${claim.deadlineAt} passed`)),
      Math.max(0, deadlineAt.getTime() - Date.now()),
    );
    const stopped = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
    stopped.catch(() => {});

    /**
     * A status write under this claim. While the database is away it is tried again, for as long
     * as the claim may still hold: the lease watchdog above ends that, and the job is then resumed
     * from the store by whoever claims it next (a database restart is not the deployment's failure).
     */
    const persist = async (status: DeploymentStatus, message: string): Promise<Deployment> => {
      for (let attempt = 0; ; attempt++) {
        const stop = signal.reason;
        if (signal.aborted && stop instanceof Stop && stop.kind !== "deadline") throw stop;
        try {
          const written = await this.#store.recordJobStatus({
            ...write,
            status,
            message,
            leaseMs: this.#leaseMs,
          });
          confirmedAt = performance.now();
          return written;
        } catch (error) {
          if (isSlipwayError(error) && error.code !== ErrorCode.Unavailable) throw error;
          if (attempt === 0) {
            this.#log(
              `engine: ${job.deploymentId}: the database did not take "${status}" (${describe(error)}); trying again while the lease holds`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };
    const record = async (stage: Stage, message: string) => {
      if (signal.aborted) throw signal.reason;
      // Resumed behind a predecessor: a stage it already reached is noted, not moved back to.
      const status = order[stage] < order[last.status] ? last.status : stage;
      const note = status === stage ? message : `${message} (resumed; still ${status})`;
      deployment = await persist(status, note);
      last = { status: deployment.status, message };
    };
    const engineJob: EngineJob = {
      deployment,
      attempt: job.attempts,
      deadlineAt,
      applyMayHaveHappened: job.applyFence !== null,
      record,
    };

    const finish = () => {
      clearInterval(renew);
      clearTimeout(deadline);
      if (!signal.aborted) controller.abort(new Stop("shutdown", "finished"));
    };
    let outcome: Outcome;
    try {
      outcome = await Promise.race([this.#executor(engineJob, signal), stopped]);
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error;
      if (reason instanceof Stop && reason.kind !== "deadline") {
        finish();
        if (reason.kind === "shutdown") await this.#store.releaseJob(write).catch(() => {});
        this.#log(`engine: stopped working on ${job.deploymentId}: ${reason.message}`);
        return;
      }
      if (!(reason instanceof Stop) && (await this.#databaseAway())) {
        // What failed may be the database, not the deployment: the next claim resumes it.
        finish();
        this.#log(
          `engine: ${job.deploymentId}: the database is away (${describe(reason)}); the job resumes once it is back`,
        );
        return;
      }
      outcome = { status: "failed", message: this.#failure(reason, last, job.applyFence !== null) };
    }
    clearTimeout(deadline);
    try {
      await persist(outcome.status, outcome.message);
    } catch (error) {
      if ((isSlipwayError(error) && error.details.lost === true) || error instanceof Stop) {
        this.#log(
          `engine: ${job.deploymentId} ended as ${outcome.status} here, but this replica no longer holds it`,
        );
        return;
      }
      throw error;
    } finally {
      finish();
    }
  }

  async #databaseAway(): Promise<boolean> {
    try {
      await this.#store.ping();
      return false;
    } catch {
      return true;
    }
  }

  #failure(
    error: unknown,
    last: { status: DeploymentStatus; message: string },
    appliedBefore: boolean,
  ): string {
    if (error instanceof Stop && error.kind === "deadline") {
      const where = last.message === "" ? last.status : `${last.status}: ${last.message}`;
      const applied =
        order[last.status] >= order.applying || appliedBefore
          ? "the apply may have reached the target"
          : "nothing was written to the target";
      return `${error.message} (timeout ${formatDuration(this.#timeoutMs)}) while ${where}; ${applied}, and it is not applied again: deploy again to converge`;
    }
    if (isSlipwayError(error)) return error.message;
    this.#log(
      `engine: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return "internal error (the server's log has the details)";
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
