/**
 * Names that Kubernetes accepts, derived deterministically. A name longer than the limit keeps a
 * readable prefix and ends in a short hash of the whole, so two long names never collide and the
 * same input always gives the same name.
 */
import { createHash } from "node:crypto";

export const DNS_LABEL_MAX = 63;

export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** Lowercase, replace anything but [a-z0-9-] with '-', collapse and trim dashes. */
export function sanitizeLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
}

/** A valid DNS label (RFC 1123) of at most `max` characters built from `text`. */
export function dnsLabel(text: string, max = DNS_LABEL_MAX): string {
  const clean = sanitizeLabel(text) || "x";
  if (clean.length <= max) return clean;
  const suffix = shortHash(text);
  const head = clean.slice(0, max - suffix.length - 1).replace(/-+$/, "");
  return `${head}-${suffix}`;
}

/**
 * `<app>--<part>`, cut to `max` characters with a hash of the whole when longer. App names hold no
 * `--` (the app schema refuses it), so the first `--` says where the app ends: no such name of one
 * app is the name of another app, or of another app's part (render/parts.ts).
 */
export function partName(app: string, part: string, max = DNS_LABEL_MAX): string {
  const full = `${app}--${part}`;
  if (full.length <= max) return full;
  const suffix = shortHash(full);
  return `${full.slice(0, max - suffix.length - 1).replace(/-+$/, "")}-${suffix}`;
}

/** `text` itself when it already is a DNS label of at most `max` characters, else `dnsLabel(text)`. */
export function asDnsLabel(text: string, max = DNS_LABEL_MAX): string {
  return text.length <= max && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) ? text : dnsLabel(text, max);
}

/**
 * A branch as a DNS label of at most `max` characters, one to one: a branch that already is such a
 * label (lowercase letters, digits, single dashes inside) is itself; any other branch is its
 * sanitized head, `--` and 8 hex digits of the SHA-256 of the whole branch. Labels of the first
 * kind never hold `--` and those of the second always do, so the two never meet; within the
 * second, two branches share a label only if their hashes collide. `feature/über` and
 * `feature/ber` thus get different labels, and neither is `feature-ber`. `max` must be at least 11.
 */
export function branchLabel(branch: string, max: number): string | undefined {
  const clean = sanitizeLabel(branch);
  if (clean === "") return undefined;
  if (clean === branch && clean.length <= max) return clean;
  const suffix = `--${shortHash(branch, 8)}`;
  return `${clean.slice(0, max - suffix.length).replace(/-+$/, "")}${suffix}`;
}

/** Replaces `{app}`, `{team}`, `{channel}`, `{branch}` in a platform name pattern. */
export function fillPattern(pattern: string, vars: Readonly<Record<string, string>>): string {
  return pattern.replace(/\{(app|team|channel|branch)\}/g, (_, key: string) => vars[key] ?? "");
}

/** A label value (≤ 63, alphanumeric at both ends, [-_.A-Za-z0-9] inside). */
export function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  if (clean.length <= DNS_LABEL_MAX) return clean;
  const suffix = shortHash(text);
  return `${clean.slice(0, DNS_LABEL_MAX - suffix.length - 1).replace(/[^A-Za-z0-9]+$/, "")}-${suffix}`;
}
