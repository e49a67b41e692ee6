/**
 * Turns zod's verdict on a YAML value into located `Problem`s: `file:line:column`, the field path,
 * what was expected, and a hint (`replcas` → "did you mean `replicas`?"). Every problem is
 * reported, not just the first.
 */
import type { z } from "zod";
import type { Problem } from "../core/errors.ts";
import { allowedKeysAt } from "./schema-walk.ts";
import { closest } from "./suggest.ts";
import { envListHint, fieldHint } from "./suggest-fields.ts";
import { type FieldPath, formatPath, type YamlSource } from "./yaml-source.ts";

export interface ValidateOptions {
  /** Where this value sits in the file, e.g. `["environments", "stable"]` for an override. */
  readonly prefix?: FieldPath;
  /** A second source to locate problems in when the value was merged from two files. */
  readonly fallback?: { readonly source: YamlSource; readonly prefix: FieldPath };
}

export function validateValue<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: YamlSource,
  options: ValidateOptions = {},
): { ok: true; data: z.output<S> } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const problems = result.error.issues.flatMap((issue) =>
    describeIssue(schema, value, issue, source, options),
  );
  return { ok: false, problems: dedupe(problems) };
}

function describeIssue(
  root: z.ZodType,
  value: unknown,
  issue: z.core.$ZodIssue,
  source: YamlSource,
  options: ValidateOptions,
): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const locate = (fieldPath: FieldPath, key = false): Pick<Problem, "file" | "line" | "column" | "path"> => {
    const prefix = options.prefix ?? [];
    const fallback = options.fallback;
    if (
      fallback &&
      !source.has([...prefix, ...fieldPath]) &&
      fallback.source.has([...fallback.prefix, ...fieldPath])
    ) {
      const full = [...fallback.prefix, ...fieldPath];
      return {
        file: fallback.source.file,
        ...fallback.source.positionOf(full, { key }),
        path: formatPath(full),
      };
    }
    const full = [...prefix, ...fieldPath];
    return { file: source.file, ...source.positionOf(full, { key }), path: formatPath(full) };
  };

  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeysAt(root, path) ?? [];
      const escapeHatch = allowedKeysAt(root, [])?.includes("patches") ?? false;
      return issue.keys.map((key) => ({
        ...locate([...path, key], true),
        message: `unknown field \`${key}\``,
        hint: fieldHint(key, path, { allowed, value: valueAt(value, [...path, key]), escapeHatch }),
      }));
    }
    case "invalid_type": {
      const actual = valueAt(value, path);
      if (actual === undefined) {
        return [
          {
            ...locate(path),
            message: `is required (${issue.expected})`,
            hint: `add \`${String(path.at(-1) ?? "")}\``,
          },
        ];
      }
      const hint =
        (path.at(-1) === "env" ? envListHint(actual) : undefined) ?? hintForType(issue.expected, actual);
      return [
        {
          ...locate(path),
          message: `must be ${article(issue.expected)}, got ${describe(actual)}`,
          ...(hint ? { hint } : {}),
        },
      ];
    }
    case "invalid_value": {
      const actual = valueAt(value, path);
      const options = issue.values.map(String);
      const guess = typeof actual === "string" ? closest(actual, options) : undefined;
      return [
        {
          ...locate(path),
          message: `must be ${options.length === 1 ? `\`${options[0]}\`` : `one of: ${options.join(", ")}`}, got ${describe(actual)}`,
          ...(guess ? { hint: `did you mean \`${guess}\`?` } : {}),
        },
      ];
    }
    case "invalid_union": {
      const branchMessages = issue.errors.flat().filter((i) => i.code !== "invalid_type");
      const message = branchMessages[0]?.message ?? `has the wrong type (${describe(valueAt(value, path))})`;
      return [{ ...locate(path), message }];
    }
    case "invalid_key":
      return [
        {
          ...locate(path, true),
          message: `has an invalid key: ${issue.issues[0]?.message ?? issue.message}`,
        },
      ];
    case "invalid_element":
      return [{ ...locate(path), message: issue.issues[0]?.message ?? issue.message }];
    default:
      return [{ ...locate(path), message: issue.message }];
  }
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return String(value);
}

function article(expected: string): string {
  if (expected === "object" || expected === "record" || expected === "map") return "a map";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function hintForType(expected: string, actual: unknown): string | undefined {
  if (expected === "number" && typeof actual === "string" && /^[0-9.]+$/.test(actual))
    return "remove the quotes";
  if (expected === "string" && typeof actual === "number") return "quote the value";
  if (expected === "array" && actual !== null && typeof actual !== "object")
    return "write it as a list: [value] or '- value'";
  if ((expected === "object" || expected === "record") && Array.isArray(actual))
    return "write it as a map of key: value, not a list";
  return undefined;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
