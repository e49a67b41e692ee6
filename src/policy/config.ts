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

export const platformPolicySchema = z
  .strictObject({
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

/** The mode a channel runs in when the platform file does not say. */
export function defaultModeFor(production: boolean): PolicyMode {
  return production ? PolicyMode.Enforce : PolicyMode.Warn;
}
