/**
 * `.sops.yaml` creation rules: which master keys and selectors a new file gets. The first rule
 * whose `path_regex` matches the file's path (relative to the directory holding `.sops.yaml`) wins;
 * a rule without `path_regex` matches everything. Keys are given flat (`age`, `pgp`, `kms`,
 * `hc_vault_transit_uri`: a comma-separated string or a list) or as `key_groups`.
 */
import { parseDocument } from "yaml";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { checkSelectors } from "./format/metadata.ts";
import { regexMatches, regexProblem } from "./format/regex.ts";
import { type Selectors, selectorsFrom } from "./format/selectors.ts";
import type { MasterKeySpec } from "./key-backend.ts";

const keyList = z
  .union([z.string(), z.array(z.string()), z.null()])
  .optional()
  .transform((v) =>
    v === null || v === undefined
      ? []
      : (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""),
  );

const kmsKey = z.object({
  arn: z.string().min(1),
  role: z.string().optional(),
  context: z.record(z.string(), z.string()).nullish(),
  aws_profile: z.string().optional(),
});

const keyGroup = z.object({
  age: z.array(z.string()).nullish(),
  pgp: z.array(z.string()).nullish(),
  kms: z.array(kmsKey).nullish(),
  hc_vault: z.array(z.string()).nullish(),
});

/** A Go RE2 pattern, checked where it is read so the error has the file, line and field. */
const regex = z
  .string()
  .superRefine((pattern, ctx) => {
    const problem = regexProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .optional();

const rule = z.object({
  path_regex: regex,
  age: keyList,
  pgp: keyList,
  kms: keyList,
  aws_profile: z.string().optional(),
  hc_vault_transit_uri: keyList,
  key_groups: z.array(keyGroup).optional(),
  shamir_threshold: z.number().int().nonnegative().optional(),
  unencrypted_suffix: z.string().optional(),
  encrypted_suffix: z.string().optional(),
  unencrypted_regex: regex,
  encrypted_regex: regex,
  unencrypted_comment_regex: regex,
  encrypted_comment_regex: regex,
  mac_only_encrypted: z.boolean().optional(),
});

const indent = z.object({ indent: z.number().int().optional() }).partial().nullish();
const configSchema = z.object({
  creation_rules: z.array(rule).optional(),
  stores: z.object({ yaml: indent, json: indent, json_binary: indent }).partial().nullish(),
});

export type SopsConfig = z.infer<typeof configSchema>;

export interface CreationRule {
  readonly keyGroups: MasterKeySpec[][];
  readonly selectors: Selectors;
  readonly macOnlyEncrypted: boolean;
  readonly shamirThreshold?: number;
}

export function parseSopsConfig(text: string, file: string): SopsConfig {
  const doc = parseDocument(text);
  const [error] = doc.errors;
  if (error) {
    const pos = error.linePos?.[0];
    throw new SlipwayError(
      ErrorCode.Input,
      `${file}:${pos?.line ?? 0}:${pos?.col ?? 0}: ${error.message.split("\n")[0]}`,
    );
  }
  let plain: unknown;
  try {
    plain = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    // The yaml library stops alias bombs (and other unreadable documents) here.
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new SlipwayError(ErrorCode.Input, `${file}: ${reason}`, { cause });
  }
  const parsed = configSchema.safeParse(plain);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const node = doc.getIn(path, true) as { range?: [number, number] } | undefined;
    const offset = node?.range?.[0] ?? 0;
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    throw new SlipwayError(
      ErrorCode.Input,
      `${file}:${line}:${column}: ${path.join(".")}: ${issue?.message}`,
      {
        problems: [{ file, line, column, path: path.join("."), message: issue?.message ?? "invalid" }],
      },
    );
  }
  return parsed.data;
}

/** `https://vault:8200/v1/<engine path>/keys/<key name>` as sops writes Vault transit keys. */
export function vaultSpecFromUri(uri: string): MasterKeySpec {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (cause) {
    throw new SlipwayError(ErrorCode.Input, `"${uri}" is not a Vault transit URI`, { cause });
  }
  const m = /^\/v1\/(.+)\/keys\/([^/]+)$/.exec(url.pathname);
  if (!m?.[1] || !m[2]) {
    throw new SlipwayError(
      ErrorCode.Input,
      `Vault transit URI ${uri} must look like https://host:8200/v1/<engine>/keys/<name>`,
    );
  }
  return {
    type: "hc_vault",
    vault_address: `${url.protocol}//${url.host}`,
    engine_path: m[1],
    key_name: m[2],
  };
}

/** `arn[+role_arn]`, as in sops' `--kms` flag and config strings. */
export function kmsSpecFromString(text: string, awsProfile?: string): MasterKeySpec {
  const [arn = "", role] = text.split("+");
  return { type: "kms", arn, ...(role ? { role } : {}), ...(awsProfile ? { aws_profile: awsProfile } : {}) };
}

function ruleToCreation(r: z.infer<typeof rule>, file: string): CreationRule {
  let groups: MasterKeySpec[][];
  if (r.key_groups && r.key_groups.length > 0) {
    groups = r.key_groups.map((g) => [
      ...(g.kms ?? []).map(
        (k): MasterKeySpec => ({
          type: "kms",
          arn: k.arn,
          ...(k.role ? { role: k.role } : {}),
          ...(k.context ? { context: k.context } : {}),
          ...(k.aws_profile ? { aws_profile: k.aws_profile } : {}),
        }),
      ),
      ...(g.hc_vault ?? []).map(vaultSpecFromUri),
      ...(g.pgp ?? []).map((fp): MasterKeySpec => ({ type: "pgp", fp })),
      ...(g.age ?? []).map((recipient): MasterKeySpec => ({ type: "age", recipient })),
    ]);
  } else {
    // sops' order inside the single group: age, pgp, kms, hc_vault.
    groups = [
      [
        ...r.age.map((recipient): MasterKeySpec => ({ type: "age", recipient })),
        ...r.pgp.map((fp): MasterKeySpec => ({ type: "pgp", fp })),
        ...r.kms.map((k) => kmsSpecFromString(k, r.aws_profile)),
        ...r.hc_vault_transit_uri.map(vaultSpecFromUri),
      ],
    ];
  }
  if (groups.every((g) => g.length === 0)) {
    throw new SlipwayError(ErrorCode.Input, `${file}: the matching creation rule names no keys`);
  }
  const selectors = selectorsFrom(r);
  return {
    keyGroups: groups,
    selectors: checkSelectors(selectors, file),
    macOnlyEncrypted: r.mac_only_encrypted ?? false,
    ...(r.shamir_threshold ? { shamirThreshold: r.shamir_threshold } : {}),
  };
}

/**
 * The rule for `relativePath` (relative to the `.sops.yaml` directory, `/`-separated): the first
 * match wins. Throws when no rule matches, as sops does.
 */
export function creationRuleFor(config: SopsConfig, relativePath: string, configFile: string): CreationRule {
  for (const r of config.creation_rules ?? []) {
    // Matched anywhere in the path, with Go's RE2 semantics, as sops matches it.
    if (r.path_regex === undefined || r.path_regex === "" || regexMatches(r.path_regex, relativePath)) {
      return ruleToCreation(r, configFile);
    }
  }
  throw new SlipwayError(ErrorCode.Input, `${configFile}: no creation rule matches ${relativePath}`, {
    details: { file: relativePath },
  });
}

export function storeIndent(config: SopsConfig, format: string): number | undefined {
  const stores = config.stores;
  if (!stores) return undefined;
  if (format === "yaml") return stores.yaml?.indent;
  if (format === "json") return stores.json?.indent;
  if (format === "binary") return stores.json_binary?.indent;
  return undefined;
}
