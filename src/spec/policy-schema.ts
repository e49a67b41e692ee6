/**
 * The `policy:` sections of slipway.yaml (waivers) and of the platform file (mode per channel).
 * The policy engine reads these parsed settings; the YAML shape is owned here with the rest of
 * the two files so one schema describes each file whole.
 */
import { z } from "zod";

export const waiverSchema = z.strictObject({
  rule: z
    .string()
    .regex(
      /^[A-Z]+-[0-9]{3}$|^[a-z0-9]+(-[a-z0-9]+)*$/,
      "must be a rule ID such as SLP-001 or a custom rule id",
    ),
  reason: z.string().min(10, "explain in a sentence why the rule is waived"),
  expires: z.iso.date("must be a date such as 2027-03-31"),
});

export const policySettingsSchema = z
  .strictObject({ waivers: z.array(waiverSchema).optional() })
  .describe("Policy waivers: each names a rule, why, and until when.");

export const channelPolicySchema = z
  .strictObject({
    mode: z
      .enum(["enforce", "warn"])
      .describe("enforce: a finding blocks render, deploy and promotion; warn: reported only."),
  })
  .describe("How policy findings are treated on this channel.");

export type Waiver = z.infer<typeof waiverSchema>;
export type ChannelPolicy = z.infer<typeof channelPolicySchema>;
