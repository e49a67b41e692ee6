/**
 * Policy settings as they appear in the two user files; zod schemas the spec module embeds.
 *
 * Platform file (`slipway.platform.yaml`):
 *
 *     channels:
 *       - name: stable
 *         production: true
 *         policy: { mode: enforce }      # enforce | warn; default: enforce when production, else warn
 *     policy:
 *       customRules: policies/           # directory of custom rule files, relative to the platform file
 *       requiredLabels: [team]           # labels every object must carry (rule required-labels)
 *       disabled: [image-digest]         # built-in or custom rule IDs switched off platform-wide
 *       allowedCapabilities: [NET_BIND_SERVICE]   # what containers may add (rule allowed-capabilities)
 *       waivers:
 *         maxDays: 90                    # a waiver may expire at most this many days ahead (default 90)
 *         allow:                         # the rules apps may waive; any other waiver does not apply
 *           - rule: read-only-root-filesystem
 *             apps: [legacy-php]         # optional: only these apps
 *             channels: [staging, preview]   # optional: only these channels (`preview`: every preview)
 *
 * App file (`slipway.yaml`):
 *
 *     policy:
 *       waivers:
 *         - rule: read-only-root-filesystem
 *           reason: the legacy PHP runtime writes its session files next to the code
 *           expires: 2027-03-31          # last day the waiver applies; afterwards it stops waiving and says so
 *           object: Deployment/web       # optional: only this object (kind/name or kind/namespace/name)
 *
 * In `enforce` mode an unwaived finding of an `error` rule blocks render, deploy and promotion;
 * warnings and infos are reported and never block. In `warn` mode nothing blocks.
 *
 * An app's repository is not trusted to relax its own policy: a waiver applies only when the
 * platform file allows that rule for that app and channel, and only up to `maxDays` ahead; the
 * rules that keep a container from owning its node (`unwaivableRules`) are never waived.
 */
import { z } from "zod";

export const PolicyMode = { Enforce: "enforce", Warn: "warn" } as const;
export type PolicyMode = (typeof PolicyMode)[keyof typeof PolicyMode];

export const policyModeSchema = z.enum(["enforce", "warn"]);

export const ruleIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, "must be a rule ID such as run-as-non-root");

export const channelPolicySchema = z
  .strictObject({
    mode: policyModeSchema.describe(
      "enforce: a finding blocks render, deploy and promotion; warn: reported only.",
    ),
  })
  .describe("How policy findings are treated on this channel.");

export const waiverSchema = z.strictObject({
  rule: ruleIdSchema,
  reason: z.string().min(10, "explain in a sentence why the rule is waived"),
  expires: z.iso.date("must be a date such as 2027-03-31"),
  object: z
    .string()
    .regex(/^[A-Za-z]+\/[^/]+(\/[^/]+)?$/, "must be kind/name or kind/namespace/name")
    .optional()
    .describe("Only waive findings on this object."),
});

export const appPolicySchema = z
  .strictObject({ waivers: z.array(waiverSchema).optional() })
  .describe("Policy waivers: each names a rule, why, and until when.");

/**
 * Rules no waiver lifts: a privileged container, the host's namespaces, privilege escalation,
 * root, or an added capability hands the node to whoever controls the image. The relief for a
 * capability is the platform's `allowedCapabilities`, decided by the operator, not the app.
 */
export const unwaivableRules: ReadonlySet<string> = new Set([
  "no-privileged",
  "no-host-network",
  "no-host-pid",
  "no-host-ipc",
  "no-privilege-escalation",
  "run-as-non-root",
  "allowed-capabilities",
]);

/** Why a waiver of an unwaivable rule waives nothing. */
export function unwaivableReason(rule: string): string {
  return `${rule} cannot be waived: fix the workload (privilege, host namespaces, root and added capabilities are never waived)`;
}

/** How far ahead a waiver may expire when the platform file does not say. */
export const DEFAULT_MAX_WAIVER_DAYS = 90;

/** The capabilities a container may add when the platform file does not say. */
export const DEFAULT_ALLOWED_CAPABILITIES: readonly string[] = ["NET_BIND_SERVICE"];

export const waiverAllowSchema = z.strictObject({
  rule: ruleIdSchema.refine((id) => !unwaivableRules.has(id), {
    error: (issue) =>
      `${String(issue.input)} cannot be waived: privileged containers, host namespaces, privilege escalation, running as root and added capabilities are never waived (capabilities: list them under policy.allowedCapabilities)`,
  }),
  apps: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Only these apps (by name); default: every app."),
  channels: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Only on these channels (`preview` stands for every branch preview); default: every channel."),
});

export const platformWaiversSchema = z
  .strictObject({
    maxDays: z
      .number()
      .int()
      .min(1)
      .max(366)
      .optional()
      .describe(`How many days ahead a waiver may expire (default ${DEFAULT_MAX_WAIVER_DAYS}).`),
    allow: z
      .array(waiverAllowSchema)
      .optional()
      .describe("The rules apps may waive, and for which apps and channels; no other waiver applies."),
  })
  .describe("What apps may waive in their slipway.yaml, and for how long.");

export const platformPolicySchema = z
  .strictObject({
    allowedCapabilities: z
      .array(z.string().regex(/^[A-Z_]+$/, "must be a capability name such as NET_BIND_SERVICE"))
      .optional()
      .describe(
        `Linux capabilities containers may add (rule allowed-capabilities; default ${DEFAULT_ALLOWED_CAPABILITIES.join(", ")}).`,
      ),
    waivers: platformWaiversSchema.optional(),
    customRules: z
      .string()
      .min(1)
      .optional()
      .describe("Directory of custom rules, relative to the platform file."),
    requiredLabels: z.array(z.string().min(1)).optional().describe("Labels every object must carry."),
    disabled: z.array(ruleIdSchema).optional().describe("Rule IDs switched off platform-wide."),
  })
  .describe("Platform-wide policy settings.");

export type ChannelPolicy = z.infer<typeof channelPolicySchema>;
export type Waiver = z.infer<typeof waiverSchema>;
export type AppPolicy = z.infer<typeof appPolicySchema>;
export type PlatformPolicy = z.infer<typeof platformPolicySchema>;
export type WaiverAllow = z.infer<typeof waiverAllowSchema>;

/** The mode a channel runs in when the platform file does not say. */
export function defaultModeFor(production: boolean): PolicyMode {
  return production ? PolicyMode.Enforce : PolicyMode.Warn;
}
