/** Option parsing shared by commands: output formats and the app/platform/target trio. */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export const OUTPUT_FORMATS = ["text", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutput<const T extends readonly string[]>(
  value: string | undefined,
  allowed: T,
  fallback: T[number],
): T[number] {
  const chosen = value ?? fallback;
  if (!allowed.includes(chosen)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--output ${chosen} is not supported here; use one of: ${allowed.join(", ")}`,
    );
  }
  return chosen;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
