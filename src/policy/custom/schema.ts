/**
 * The declarative form of a custom rule (see docs/adr/0005-custom-policy-rules.md). One YAML file
 * may hold several rules as separate documents.
 *
 *     apiVersion: slipway.dev/v1
 *     kind: PolicyRule
 *     id: acme-owner-annotation            # kebab-case; must not collide with a built-in rule
 *     title: Workloads name their owner
 *     rationale: On-call finds the owning team from this annotation.
 *     severity: error                      # error | warning | info
 *     hint: Add metadata.annotations["acme.com/owner"].
 *     match:
 *       kinds: [Deployment, StatefulSet]
 *       production: true                   # optional: only in production channels
 *     assert:                              # every assertion must hold at every matched path
 *       - path: metadata.annotations["acme.com/owner"]
 *         exists: true
 *       - path: spec.template.spec.containers[*].image
 *         pattern: ^registry\.acme\.com/
 *         message: image {value} is not from the company registry   # {path} and {value} fill in
 *     examples:                            # required: proves the rule, as for built-in rules
 *       pass: [ <objects> ]
 *       fail: [ <objects> ]
 *       expect: { object: Deployment/shop/web, path: ..., message: ... }
 */
import { z } from "zod";
import { ruleIdSchema } from "../config.ts";

const kubeObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

export const assertionSchema = z
  .strictObject({
    path: z.string().min(1),
    exists: z.boolean().optional(),
    equals: z.unknown().optional(),
    oneOf: z.array(z.unknown()).min(1).optional(),
    pattern: z.string().min(1).optional(),
    notPattern: z.string().min(1).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    message: z.string().min(1).optional(),
  })
  .refine((a) => ["exists", "equals", "oneOf", "pattern", "notPattern", "min", "max"].some((k) => k in a), {
    message: "an assertion needs a condition: exists, equals, oneOf, pattern, notPattern, min or max",
  });

export const customRuleSchema = z.strictObject({
  apiVersion: z.literal("slipway.dev/v1", { error: "must be slipway.dev/v1" }),
  kind: z.literal("PolicyRule", { error: "must be PolicyRule" }),
  id: ruleIdSchema,
  title: z.string().min(3),
  rationale: z.string().min(10),
  severity: z.enum(["error", "warning", "info"]),
  hint: z.string().min(3),
  match: z.strictObject({
    kinds: z.array(z.string().min(1)).min(1),
    production: z.boolean().optional(),
  }),
  assert: z.array(assertionSchema).min(1),
  examples: z.strictObject({
    context: z
      .strictObject({
        channel: z.string().optional(),
        production: z.boolean().optional(),
        requiredLabels: z.array(z.string()).optional(),
      })
      .optional(),
    pass: z.array(kubeObjectSchema).min(1),
    fail: z.array(kubeObjectSchema).min(1),
    expect: z.strictObject({ object: z.string(), path: z.string(), message: z.string() }),
  }),
});

export type CustomRuleSpec = z.infer<typeof customRuleSchema>;
export type Assertion = z.infer<typeof assertionSchema>;
