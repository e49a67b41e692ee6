/**
 * `slipway.platform.yaml` (apiVersion slipway.dev/v1, kind Platform): what the platform team
 * decides once for every app — clusters, the ordered release channels, previews, teams, routing,
 * policy and the defaults every app inherits.
 */
import { z } from "zod";
import { channelPolicySchema, platformPolicySchema } from "../policy/config.ts";
import { keysConfigSchema } from "../secrets/key-policy.ts";
import { dnsLabel, duration, labelMap } from "./common-schema.ts";
import { rawManifestsPlatformSchema } from "./extras-schema.ts";

const domain = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
    "must be a DNS domain such as apps.example.com",
  );

/** `{app}`, `{team}`, `{channel}` and (previews) `{branch}` are replaced; the result must be a DNS label. */
const namePattern = z
  .string()
  .regex(
    /^([a-z0-9-]|\{(app|team|channel|branch)\})+$/,
    "may hold lowercase letters, digits, '-' and {app}, {team}, {channel}, {branch}",
  );

/** A host an app may route outside its channel's domain, or a wildcard, granted by the platform. */
const hostGrant = z.strictObject({
  host: z
    .string()
    .regex(
      /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
      "must be a host name such as shop.example.com, or *.shop.example.com for that wildcard and every name under shop.example.com",
    ),
  team: dnsLabel.describe("The team whose apps may route this host."),
  apps: z
    .array(dnsLabel)
    .optional()
    .describe("Only these apps of the team; every app of the team when omitted."),
});

const cluster = z
  .strictObject({
    name: dnsLabel,
    kubeconfig: z
      .strictObject({ context: z.string().min(1), path: z.string().min(1).optional() })
      .optional()
      .describe("Deploy with server-side apply through this kubeconfig context."),
    gitops: z
      .strictObject({
        directory: z.string().min(1).describe("A git work tree, relative to the platform file."),
        remote: z.string().min(1).optional().describe("Push here after each commit."),
        branch: z.string().min(1).optional(),
        sops: z
          .strictObject({
            age: z
              .array(z.string().regex(/^age1[0-9a-z]+$/, "must be an age recipient (age1…)"))
              .min(1)
              .describe(
                "Recipients of Secrets committed to this repository, e.g. the age key of the cluster's Flux.",
              ),
          })
          .optional()
          .describe(
            "Secrets are committed SOPS-encrypted for these recipients; without it, a deploy with secrets is refused.",
          ),
      })
      .optional()
      .describe("Commit rendered manifests into a git repository instead of applying them."),
    kubernetesVersion: z
      .string()
      .regex(/^v?1\.[0-9]+(\.[0-9]+)?$/, "must be a version such as 1.37")
      .optional(),
    capabilities: z
      .strictObject({
        serviceMonitor: z
          .boolean()
          .optional()
          .describe(
            "The cluster has the Prometheus Operator's ServiceMonitor CRD: apps with metrics get one.",
          ),
      })
      .optional()
      .describe("APIs the cluster has beyond Kubernetes' own."),
  })
  .refine((c) => (c.kubeconfig === undefined) !== (c.gitops === undefined), {
    message: "a cluster needs exactly one of kubeconfig or gitops",
  });

const weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
const timeOfDay = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "must be a time of day such as 09:00");
const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an IANA time zone such as Europe/Berlin or UTC" },
);

/** What a release must pass before it is promoted into a channel (docs/promotion.md). */
const channelGates = z.strictObject({
  policy: z
    .boolean()
    .optional()
    .describe("The release passes this channel's policy as if the channel enforced it. Default true."),
  soak: z
    .union([
      duration,
      z.strictObject({
        duration: duration
          .optional()
          .describe("How long the release has been available in the previous channel. Default: no wait."),
        maxRestarts: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .optional()
          .describe(
            "At most this many restarts, summed over the pods of the release's current revision in the previous channel (a cluster channel; read live). Default: restarts are not counted.",
          ),
      }),
    ])
    .optional()
    .describe(
      "Available in the previous channel for at least this long, with no failed rollout there: `30m`, or `{ duration: 30m, maxRestarts: 3 }`.",
    ),
  approvals: z
    .number()
    .int()
    .min(1)
    .max(20)
    .optional()
    .describe("Approvals of the release for this channel by releasers of its team, not its creator."),
  health: z
    .boolean()
    .optional()
    .describe(
      "The previous channel's deployment of the release is available: on a cluster, its Deployments and StatefulSets are available now (read live). Default true.",
    ),
  windows: z
    .array(
      z.strictObject({
        days: z.array(weekday).min(1).optional().describe("Default: every day."),
        from: timeOfDay,
        to: timeOfDay.describe("Exclusive; earlier than from means the window runs past midnight."),
        timeZone: timeZone.optional().describe("Default UTC."),
      }),
    )
    .min(1)
    .optional()
    .describe("Promotions into this channel happen only inside one of these windows."),
  freezes: z
    .array(
      z.strictObject({
        from: z.iso.datetime({ offset: true }),
        to: z.iso.datetime({ offset: true }),
        reason: z.string().min(1).max(200),
      }),
    )
    .optional()
    .describe("No promotion into this channel from one time to another (a release freeze)."),
});

const channel = z.strictObject({
  name: dnsLabel.max(20),
  cluster: dnsLabel,
  namespace: namePattern.optional().describe("Namespace pattern; default {app}-{channel}."),
  domain: domain.optional().describe("Routes without a host get <app>.<domain>."),
  production: z.boolean().optional().describe("Production channels get stricter defaults and policy."),
  policy: channelPolicySchema.optional(),
  autoDeploy: z
    .boolean()
    .optional()
    .describe("Every new release deploys here by itself. Default: true for the first channel only."),
  promote: z
    .enum(["manual", "auto"])
    .optional()
    .describe("auto: the release of the channel before is promoted here as soon as the gates pass."),
  gates: channelGates.optional(),
  rollbackOnFailure: z
    .boolean()
    .optional()
    .describe("A failed rollout puts the previous revision back by itself (clusters)."),
});

export const platformSchema = z.strictObject({
  apiVersion: z.literal("slipway.dev/v1", { error: "must be slipway.dev/v1" }),
  kind: z.literal("Platform", { error: "must be Platform" }),
  clusters: z.array(cluster).min(1),
  channels: z
    .array(channel)
    .min(1)
    .optional()
    .describe(
      "In promotion order. Default: develop → integration → staging → beta → stable on the first cluster, stable in production.",
    ),
  previews: z
    .strictObject({
      cluster: dnsLabel,
      namespace: namePattern.optional().describe("Default {app}-pr-{branch}."),
      domain: domain.optional(),
      host: namePattern
        .optional()
        .describe("Host label pattern under the domain; default {app}-pr-{branch}."),
      ttl: duration.optional(),
      policy: channelPolicySchema.optional(),
    })
    .optional(),
  teams: z
    .array(
      z.strictObject({
        name: dnsLabel,
        description: z.string().optional(),
        apps: z
          .array(dnsLabel)
          .optional()
          .describe(
            "The apps registered to this team. When given, an app's team is the one that lists it: a slipway.yaml cannot claim another team (and with it that team's keys, namespaces and hosts).",
          ),
        repositories: z
          .array(z.string().min(1).max(2048))
          .min(1)
          .optional()
          .describe(
            "The repositories this team's releases may be read from, as releases record them (without credentials); `*` is any characters but `/`, `**` any at all, e.g. https://git.example.com/payments/*. When given, the server refuses a release from any other repository before fetching it.",
          ),
      }),
    )
    .optional(),
  keys: keysConfigSchema.optional(),
  routing: z
    .strictObject({
      kind: z.enum(["ingress", "gateway"]).optional().describe("Ingress (default) or Gateway API HTTPRoute."),
      ingressClassName: dnsLabel.optional(),
      gateway: z.strictObject({ name: dnsLabel, namespace: dnsLabel }).optional(),
      controllerNamespace: dnsLabel
        .optional()
        .describe("Namespace of the ingress controller or gateway, allowed in by NetworkPolicy."),
      tlsIssuer: z.string().optional().describe("cert-manager ClusterIssuer annotation for TLS routes."),
      hosts: z
        .array(hostGrant)
        .optional()
        .describe(
          "Hosts apps may route besides <app>.<channel domain> (and names under it); the only way to a wildcard.",
        ),
    })
    .optional(),
  deploy: z
    .strictObject({
      applyTimeout: duration
        .optional()
        .describe(
          "How long an apply may take, retries included (reading the live state, every write and prune); default 3m.",
        ),
      rolloutTimeout: duration
        .optional()
        .describe("How long following the rollout may take until the workloads are available; default 10m."),
    })
    .optional()
    .describe(
      "Deadlines of every deploy: the server's deployments, and the CLI's unless --apply-timeout or --rollout-timeout say otherwise. Past one, the deploy fails naming the phase and what was applied.",
    ),
  dora: z
    .strictObject({
      productionChannel: dnsLabel
        .optional()
        .describe("The channel the DORA numbers count; default: the last channel."),
      failure: z
        .strictObject({
          statuses: z
            .array(z.string().regex(/^[a-z][a-z-]{0,39}$/, "must be a deployment status such as failed"))
            .min(1)
            .optional()
            .describe(
              "A production deployment reaching one of these is a failed change; default [failed, rolled-back].",
            ),
          rollbacks: z
            .boolean()
            .optional()
            .describe("A production deployment a rollback replaced is a failed change; default true."),
        })
        .optional(),
      rework: z
        .strictObject({
          fixForwardWithin: duration
            .optional()
            .describe(
              "The first deployment after a failure, not a rollback, within this is a fix-forward; default 24h.",
            ),
        })
        .optional(),
    })
    .optional()
    .describe("What the DORA numbers count (docs/dora.md)."),
  monitoring: z
    .strictObject({
      namespace: dnsLabel
        .optional()
        .describe(
          "Where Prometheus runs, let in to apps' metrics ports; without it, namespaces labelled slipway.dev/monitoring=true.",
        ),
      serviceMonitorLabels: labelMap
        .optional()
        .describe("Labels your Prometheus selects ServiceMonitors by."),
    })
    .optional(),
  rbac: z
    .strictObject({
      clusterRules: z
        .array(
          z.strictObject({
            team: dnsLabel,
            apps: z.array(dnsLabel).optional().describe("Only these apps of the team; all when omitted."),
          }),
        )
        .optional()
        .describe("Who may give their account cluster-wide permissions (rbac.clusterRules)."),
    })
    .optional(),
  sharedSecrets: z
    .array(
      z.strictObject({
        name: z
          .string()
          .max(253)
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Secret's name"),
        team: dnsLabel.optional().describe("Only this team's apps; every team's when omitted."),
        apps: z.array(dnsLabel).optional().describe("Only these apps; all (of the team) when omitted."),
      }),
    )
    .optional()
    .describe(
      "Secrets in a namespace several apps share that apps may read though they are not named for them (<app> or <app>--…), e.g. a database operator's credentials for one team.",
    ),
  rawManifests: rawManifestsPlatformSchema.optional(),
  labels: labelMap.optional().describe("Labels added to every rendered object."),
  policy: platformPolicySchema.optional(),
  defaults: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("A partial slipway.yaml body every app inherits."),
});

type PlatformFile = z.infer<typeof platformSchema>;
export type ChannelConfig = NonNullable<PlatformFile["channels"]>[number];
/** The platform with its defaults applied: channels are always present. */
export type Platform = Omit<PlatformFile, "channels"> & { channels: ChannelConfig[] };
export type ClusterConfig = Platform["clusters"][number];
