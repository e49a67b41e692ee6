/**
 * The names of the five file formats and how a file name picks one, as `sops` does. Apart from
 * `stores.ts` (which parses and emits them) so that the CLI can name them in its help without
 * loading the parsers.
 */
export const SOPS_FORMATS = ["yaml", "json", "dotenv", "ini", "binary"] as const;
export type SopsFormat = (typeof SOPS_FORMATS)[number];

export function formatForPath(path: string): SopsFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".env")) return "dotenv";
  if (lower.endsWith(".ini")) return "ini";
  return "binary";
}
