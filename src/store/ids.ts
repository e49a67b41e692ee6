/**
 * Identifiers and hashes. IDs sort by creation time (millisecond timestamp, then a per-process
 * counter, then randomness), which gives keyset pagination a stable "newest first" order on both
 * databases without a sequence.
 */
import { createHash, randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

export function newId(prefix: string, now: number = Date.now()): string {
  if (now <= lastMs) {
    counter += 1;
  } else {
    lastMs = now;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, "0");
  const seq = counter.toString(16).padStart(4, "0");
  return `${prefix}_${time}${seq}${randomBytes(6).toString("hex")}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with sorted keys, so the same record always hashes the same (audit before/after hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    }
    return v;
  });
}

export function hashRecord(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
