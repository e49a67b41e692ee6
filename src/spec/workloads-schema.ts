/**
 * The parts of an app besides its main process: more processes (`processes`), scheduled jobs
 * (`cronJobs`) and deploy-time jobs (`jobs`). Each shares the app's image, env, config files,
 * secrets and service account, and sets what is its own: command, ports, probes, resources, scale.
 * An app without parts never builds their schemas: each is built on first use (`lazily`, see
 * common-schema.ts).
 */
import { z } from "zod";
import { dnsLabel, lazily, positiveQuantity } from "./common-schema.ts";
import { cronScheduleProblem } from "./cron.ts";
import { absolutePath, objectName, RESERVED_VOLUME_NAMES } from "./pod-schema.ts";

/**
 * A part's name. Its objects are named `<app>--<part>`: app names hold no `--`, so no part of one
 * app can take the name of another app or of another app's part (see render/parts.ts).
 */
export const partName = dnsLabel
  .max(20, "process and job names are at most 20 characters so derived names stay readable")
  .refine((n) => !n.includes("--"), "may not hold `--`: it separates the app from the part in names");

const volumeClaim = lazily(() =>
  z.strictObject({
    name: dnsLabel
      .max(30)
      // A claim of one of these names would silently take the place of Slipway's own volume.
      .refine(
        (n) => !RESERVED_VOLUME_NAMES.includes(n) && !n.startsWith("secret-"),
        "`tmp`, `config` and `secret-…` name Slipway's own volumes; choose another name",
      ),
    mountPath: absolutePath,
    size: positiveQuantity.describe("Requested storage, e.g. 10Gi."),
    accessModes: z
      .array(z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"]))
      .min(1)
      .optional()
      .describe("Default [ReadWriteOnce]."),
    storageClass: objectName.optional().describe("The cluster's default class when omitted."),
  }),
);

const SCHEDULE_SHAPE = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;

/** What a run-to-completion part (CronJob or deploy-time Job) sets. */
const batchShape = {
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("activeDeadlineSeconds: the run fails after this long (default 600 for jobs)."),
  retries: z.number().int().min(0).max(20).optional().describe("backoffLimit (default 0: one attempt)."),
};

/**
 * The app schema hands in its own (optional) schemas of the fields a part shares in shape, so one
 * definition, with its checks (a limit below its request, min above max replicas), serves all.
 */
export function workloadShapes<
  E extends z.ZodType,
  R extends z.ZodType,
  P extends z.ZodType,
  H extends z.ZodType,
  N extends z.ZodType,
  A extends z.ZodType,
  O extends z.ZodType,
>(shared: { env: E; resources: R; ports: P; health: H; replicas: N; autoscaling: A; rollout: O }) {
  // A part's env is merged over the app's, key by key.
  const { env, resources, ports, health } = shared;
  const process = lazily(() =>
    z
      .strictObject({
        kind: z
          .enum(["deployment", "stateful"])
          .optional()
          .describe("deployment (default) or stateful: a StatefulSet with a claim per replica."),
        command: batchShape.command,
        args: batchShape.args,
        env,
        ports,
        health,
        resources,
        replicas: shared.replicas,
        autoscaling: shared.autoscaling,
        rollout: shared.rollout,
        volumeClaims: z
          .array(volumeClaim)
          .optional()
          .describe(
            "kind: stateful only: volumeClaimTemplates, one claim per replica, kept when scaled down.",
          ),
      })
      .superRefine((p, ctx) => {
        if (p.volumeClaims?.length && p.kind !== "stateful") {
          ctx.addIssue({
            code: "custom",
            path: ["volumeClaims"],
            message: "volume claims per replica need `kind: stateful` (a StatefulSet)",
          });
        }
        (p.volumeClaims ?? []).forEach((c, i, all) => {
          if (all.findIndex((o) => o.name === c.name) < i)
            ctx.addIssue({
              code: "custom",
              path: ["volumeClaims", i, "name"],
              message: `claim \`${c.name}\` is declared twice`,
            });
        });
      })
      .describe("A process of the app: a Deployment (or StatefulSet) with its own command and scale."),
  );

  const cronJob = lazily(() =>
    z
      .strictObject({
        schedule: z
          .string()
          .regex(
            SCHEDULE_SHAPE,
            "must be a cron schedule of five fields (e.g. `*/15 * * * *`) or @hourly, @daily …",
          )
          // The API server parses the schedule and refuses one it cannot (`61 * * * *`).
          .superRefine((schedule, ctx) => {
            const why = SCHEDULE_SHAPE.test(schedule) ? cronScheduleProblem(schedule) : undefined;
            if (why !== undefined)
              ctx.addIssue({ code: "custom", message: `${why} (e.g. \`*/15 * * * *\` or @daily)` });
          }),
        timeZone: z
          .string()
          .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "must be an IANA time zone such as Europe/Berlin")
          // The API server loads the zone from the tz database and refuses one it does not know.
          .refine(
            knownTimeZone,
            "is not a time zone of the tz database (e.g. Europe/Berlin, America/New_York, UTC)",
          )
          .optional()
          .describe("IANA time zone of the schedule; the controller's (UTC) when omitted."),
        concurrencyPolicy: z.enum(["Allow", "Forbid", "Replace"]).optional().describe("Default Forbid."),
        suspend: z.boolean().optional(),
        startingDeadlineSeconds: z
          .number()
          .int()
          .min(10)
          .optional()
          .describe("A run that could not start within this many seconds of its time is skipped."),
        history: z
          .strictObject({
            successful: z.number().int().min(0).max(100).optional(),
            failed: z.number().int().min(0).max(100).optional(),
          })
          .optional()
          .describe("Finished Jobs kept: successful (default 3) and failed (default 1)."),
        ...batchShape,
        env,
        resources,
      })
      .describe("A CronJob running the app's image on a schedule."),
  );

  const job = lazily(() =>
    z
      .strictObject({
        when: z
          .enum(["pre-deploy", "post-deploy"])
          .describe(
            "pre-deploy: runs to completion before the new pods roll; post-deploy: after they are available.",
          ),
        ...batchShape,
        env,
        resources,
      })
      .describe("A Job run once per release, e.g. database migrations."),
  );

  return {
    processes: z.record(partName, process).optional(),
    cronJobs: z.record(partName, cronJob).optional(),
    jobs: z.record(partName, job).optional(),
  };
}

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

type Issue = { path: (string | number)[]; message: string };

/** Rules across parts: one name per part, and routes reach only declared processes. */
export function partProblems(spec: {
  processes?: Record<string, unknown> | undefined;
  cronJobs?: Record<string, unknown> | undefined;
  jobs?: Record<string, unknown> | undefined;
  routes?: readonly { process?: string | undefined }[] | undefined;
}): Issue[] {
  const issues: Issue[] = [];
  const owner = new Map<string, string>();
  for (const group of ["processes", "cronJobs", "jobs"] as const) {
    for (const name of Object.keys(spec[group] ?? {})) {
      const first = owner.get(name);
      if (first !== undefined) {
        issues.push({
          path: [group, name],
          message: `\`${name}\` is already the name of ${first}.${name}: processes, cronJobs and jobs share one namespace of names`,
        });
      } else owner.set(name, group);
    }
  }
  const processes = Object.keys(spec.processes ?? {});
  (spec.routes ?? []).forEach((r, i) => {
    if (r.process !== undefined && !processes.includes(r.process)) {
      issues.push({
        path: ["routes", i, "process"],
        message: `names process \`${r.process}\`, which is not under processes (declared: ${processes.join(", ") || "none"}); omit it to route to the main process`,
      });
    }
  });
  return issues;
}
