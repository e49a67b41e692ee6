/** Schema pieces shared by `slipway.yaml` and the platform file. */
import { z } from "zod";

/**
 * `build()`'s schema, built when a value first reaches it rather than at import. Every command that
 * reads a spec imports the whole app schema, and building a zod schema costs time (a render of a
 * plain app spent about 10 ms building the schemas of volumes, sidecars, placement, parts and the
 * escape hatch it never used). Only what zod does not read until it parses a value may be lazy: an
 * element of a list, a value of a map, a field of an object that is not the top of a file. A
 * top-level field itself may not: zod asks each whether it may be absent when it parses the object.
 * `schema-walk.ts` looks through these as through `.optional()`.
 */
export function lazily<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  let built: T | undefined;
  return z.lazy(() => {
    built ??= build();
    return built;
  });
}

export const dnsLabel = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit",
  );

/** A Kubernetes resource quantity such as `250m`, `1.5`, `512Mi` or `2G`. */
export const quantity = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(
    z
      .string()
      .regex(
        /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/,
        "must be a Kubernetes quantity such as 250m, 0.5, 512Mi or 2Gi",
      ),
  );

/** A quantity above zero, e.g. a claim's size: the API server refuses `0`. */
export const positiveQuantity = quantity.refine(
  (q) => quantityValue(q) > 0,
  "must be more than zero, e.g. 1Gi",
);

/** Requests above their limits: the API server refuses such a container. */
export function limitsBelowRequests(
  r: {
    requests?: { cpu?: string | undefined; memory?: string | undefined } | undefined;
    limits?: { cpu?: string | undefined; memory?: string | undefined } | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  for (const kind of ["cpu", "memory"] as const) {
    const request = r.requests?.[kind];
    const limit = r.limits?.[kind];
    if (request === undefined || limit === undefined) continue;
    if (quantityValue(limit) < quantityValue(request)) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", kind],
        message: `limit ${limit} is below the request ${request}; the cluster refuses such a container`,
      });
    }
  }
}

/** A duration such as `30s`, `15m`, `72h` or `7d`. */
export const duration = z
  .string()
  .regex(/^([0-9]+(s|m|h|d))+$/, "must be a duration such as 30s, 15m, 72h or 7d");

/** A label or annotation key as the API server checks it: an optional DNS prefix and `/`, then a name. */
export const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export const labelValueSchema = z
  .string()
  .max(63, "label values are at most 63 characters")
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, "must be a valid label value");

export const labelMap = z.record(
  z
    .string()
    .regex(
      QUALIFIED_NAME,
      "must be a valid label key (optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.')",
    ),
  labelValueSchema,
);

/** Keys as the API server checks them (a DNS prefix and `/`, then a name part); values are free. */
export const annotationMap = z.record(
  z
    .string()
    .regex(
      QUALIFIED_NAME,
      "must be a valid annotation key (optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.')",
    ),
  z.string(),
);

export const percentOrCount = z.union([
  z.number().int().min(0),
  z.string().regex(/^[0-9]+%$/, "must be a whole number or a percentage such as 25%"),
]);

export const envName = z
  .string()
  // Kubernetes' own rule for every supported version: dots and dashes are fine (`spring.profiles.active`).
  .regex(
    /^[-._a-zA-Z][-._a-zA-Z0-9]*$/,
    "must be a valid environment variable name (letters, digits, '_', '-' or '.', not starting with a digit)",
  );

export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(s|m|h|d)/g)) {
    total += Number(amount) * ({ s: 1, m: 60, h: 3600, d: 86400 } as const)[unit as "s" | "m" | "h" | "d"];
  }
  return total;
}

const QUANTITY_SUFFIX: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The amount a valid quantity stands for (`250m` → 0.25, `1Gi` → 1073741824), to compare two. */
export function quantityValue(text: string): number {
  const match = /^[+]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$/.exec(text);
  if (!match) return Number.NaN;
  const [, amount, suffix = ""] = match;
  if (/^[eE]/.test(suffix)) return Number(`${amount}${suffix}`);
  return Number(amount) * (QUANTITY_SUFFIX[suffix] ?? Number.NaN);
}
