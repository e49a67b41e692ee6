/**
 * The `sops` metadata block: master keys (the wrapped data key, once per key), `lastmodified`, the
 * encrypted MAC, the selectors and the format version. Read from the tree with zod (it is a
 * boundary: anyone can edit the file) and written back the way `sops` 3.10+ writes it: every map's
 * keys in alphabetical order, empty fields left out, one key group written flat.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { regexProblem } from "./regex.ts";
import { DEFAULT_UNENCRYPTED_SUFFIX, REGEX_SELECTORS, type Selectors, selectorsFrom } from "./selectors.ts";
import { isComment, type Scalar, str, type TreeMap, type TreeValue } from "./tree.ts";

/** The format version Slipway writes: the `sops` release whose file layout it follows. */
export const FORMAT_VERSION = "3.13.3";

const text = z.preprocess((v) => (v === null || v === undefined ? "" : String(v)), z.string());
const ageEntry = z.object({ recipient: z.string().min(1), enc: z.string().min(1) });
const pgpEntry = z.object({ fp: text, created_at: text, enc: z.string().min(1) });
const vaultEntry = z.object({
  vault_address: z.string().min(1),
  engine_path: z.string().min(1),
  key_name: z.string().min(1),
  created_at: text,
  enc: z.string().min(1),
});
const kmsEntry = z.object({
  arn: z.string().min(1),
  role: text.optional(),
  context: z.record(z.string(), text).nullish(),
  created_at: text,
  enc: z.string().min(1),
  aws_profile: text.optional(),
});
const opaqueEntry = z.record(z.string(), z.unknown());
const list = <T extends z.ZodType>(item: T) => z.array(item).nullish();

const groupFields = {
  age: list(ageEntry),
  pgp: list(pgpEntry),
  hc_vault: list(vaultEntry),
  kms: list(kmsEntry),
  gcp_kms: list(opaqueEntry),
  azure_kv: list(opaqueEntry),
  hckms: list(opaqueEntry),
};
const groupSchema = z.object(groupFields);
const boolish = z.preprocess((v) => (typeof v === "string" ? v.toLowerCase() === "true" : v), z.boolean());

const metadataSchema = z.object({
  ...groupFields,
  key_groups: z.array(groupSchema).nullish(),
  shamir_threshold: z.coerce.number().int().nonnegative().optional(),
  lastmodified: z.string().min(1),
  mac: z.string(),
  version: text,
  unencrypted_suffix: z.string().optional(),
  encrypted_suffix: z.string().optional(),
  unencrypted_regex: z.string().optional(),
  encrypted_regex: z.string().optional(),
  unencrypted_comment_regex: z.string().optional(),
  encrypted_comment_regex: z.string().optional(),
  mac_only_encrypted: boolish.optional(),
});

export type AgeEntry = { readonly type: "age" } & z.infer<typeof ageEntry>;
export type PgpEntry = { readonly type: "pgp" } & z.infer<typeof pgpEntry>;
export type VaultEntry = { readonly type: "hc_vault" } & z.infer<typeof vaultEntry>;
export type KmsEntry = { readonly type: "kms" } & z.infer<typeof kmsEntry>;
/** A key kind Slipway cannot use (GCP KMS, Azure Key Vault, HuaweiCloud KMS): kept as written. */
export type OpaqueEntry = {
  readonly type: "gcp_kms" | "azure_kv" | "hckms";
  readonly fields: Record<string, unknown>;
};
export type KeyEntry = AgeEntry | PgpEntry | VaultEntry | KmsEntry | OpaqueEntry;
export type KeyGroup = readonly KeyEntry[];

export interface SopsMetadata {
  readonly keyGroups: readonly KeyGroup[];
  readonly shamirThreshold?: number;
  /** RFC 3339 text; it is the additional data of the encrypted MAC. */
  readonly lastModified: string;
  /** `ENC[…]` of the uppercase hex SHA-512 over the values. */
  readonly mac: string;
  readonly version: string;
  readonly selectors: Selectors;
  readonly macOnlyEncrypted: boolean;
}

function groupFrom(g: z.infer<typeof groupSchema>): KeyEntry[] {
  // sops' own order inside a group: kms, gcp_kms, hckms, azure_kv, hc_vault, pgp, age.
  return [
    ...(g.kms ?? []).map((e) => ({ type: "kms" as const, ...e })),
    ...(g.gcp_kms ?? []).map((fields) => ({ type: "gcp_kms" as const, fields })),
    ...(g.hckms ?? []).map((fields) => ({ type: "hckms" as const, fields })),
    ...(g.azure_kv ?? []).map((fields) => ({ type: "azure_kv" as const, fields })),
    ...(g.hc_vault ?? []).map((e) => ({ type: "hc_vault" as const, ...e })),
    ...(g.pgp ?? []).map((e) => ({ type: "pgp" as const, ...e })),
    ...(g.age ?? []).map((e) => ({ type: "age" as const, ...e })),
  ];
}

/** Parses the metadata from its (unflattened) tree; `file` names the file in errors. */
export function metadataFromTree(tree: TreeMap, file: string): SopsMetadata {
  const parsed = metadataSchema.safeParse(toPlain(tree));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join(".") : "";
    throw new SlipwayError(
      ErrorCode.SecretIntegrity,
      `${file}: the sops metadata is invalid at sops.${field}: ${issue?.message ?? "invalid"}`,
      { details: { file, field } },
    );
  }
  const m = parsed.data;
  const flat = groupFrom(m);
  const keyGroups = flat.length > 0 ? [flat] : (m.key_groups ?? []).map(groupFrom);
  if (keyGroups.length === 0 || keyGroups.every((g) => g.length === 0)) {
    throw new SlipwayError(ErrorCode.SecretIntegrity, `${file}: the sops metadata lists no keys`, {
      details: { file },
    });
  }
  const selectors = selectorsFrom(m);
  return {
    keyGroups,
    ...(m.shamir_threshold ? { shamirThreshold: m.shamir_threshold } : {}),
    lastModified: m.lastmodified,
    mac: m.mac,
    version: m.version,
    selectors: checkSelectors(selectors, file, { field: "sops.", code: ErrorCode.SecretIntegrity }),
    macOnlyEncrypted: m.mac_only_encrypted ?? false,
  };
}

/**
 * At most one selector may be set (sops refuses files and rules with more), and a regex must be
 * valid RE2 within the length cap. `field` prefixes the field name in errors (`sops.` for a file's
 * metadata).
 */
export function checkSelectors(
  selectors: Selectors,
  file: string,
  where: { readonly field?: string; readonly code?: ErrorCode } = {},
): Selectors {
  const code = where.code ?? ErrorCode.Input;
  const count = Object.values(selectors).filter((v) => v).length;
  if (count > 1) {
    throw new SlipwayError(
      code,
      `${file}: use only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex, encrypted_comment_regex`,
    );
  }
  for (const [name, field] of REGEX_SELECTORS) {
    const pattern = selectors[name];
    const problem = pattern === undefined ? undefined : regexProblem(pattern);
    if (problem) {
      const path = `${where.field ?? ""}${field}`;
      throw new SlipwayError(code, `${file}: ${path}: ${problem}`, { details: { file, field: path } });
    }
  }
  return selectors;
}

/** None set means the `_unencrypted` suffix, as sops decides when it loads or creates a file. */
export function withDefaultSelector(selectors: Selectors): Selectors {
  return Object.values(selectors).some((v) => v)
    ? selectors
    : { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX };
}

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

function toPlain(value: TreeValue): Plain {
  switch (value.kind) {
    case "map": {
      const out: Record<string, Plain> = {};
      for (const e of value.entries) if (!isComment(e)) out[e.key] = toPlain(e.value);
      return out;
    }
    case "list":
      return value.items.filter((i) => i.kind !== "comment").map((i) => toPlain(i as TreeValue));
    case "null":
      return null;
    case "bytes":
      return Buffer.from(value.value).toString("utf8");
    case "int":
      return Number(value.value);
    default:
      return value.value;
  }
}

function entryFields(e: KeyEntry): Record<string, unknown> {
  switch (e.type) {
    case "age":
      return { recipient: e.recipient, enc: e.enc };
    case "pgp":
      return { created_at: e.created_at, enc: e.enc, fp: e.fp };
    case "hc_vault":
      return {
        vault_address: e.vault_address,
        engine_path: e.engine_path,
        key_name: e.key_name,
        created_at: e.created_at,
        enc: e.enc,
      };
    case "kms":
      return {
        arn: e.arn,
        ...(e.role ? { role: e.role } : {}),
        ...(e.context && Object.keys(e.context).length > 0 ? { context: e.context } : {}),
        created_at: e.created_at,
        enc: e.enc,
        aws_profile: e.aws_profile ?? "",
      };
    default:
      return e.fields;
  }
}

function groupObject(group: KeyGroup, alwaysAgeAndVault: boolean): Record<string, unknown> {
  const out: Record<string, unknown[]> = {};
  if (alwaysAgeAndVault) {
    out.age = [];
    out.hc_vault = [];
  }
  for (const e of group) {
    out[e.type] ??= [];
    out[e.type]?.push(entryFields(e));
  }
  return out;
}

/** The metadata as the tree `sops` 3.13 emits (alphabetical keys, omitted empties). */
export function metadataToTree(m: SopsMetadata): TreeMap {
  const object: Record<string, unknown> = {
    lastmodified: m.lastModified,
    mac: m.mac,
    version: m.version,
  };
  const [only, ...rest] = m.keyGroups;
  if (only && rest.length === 0) Object.assign(object, groupObject(only, false));
  else object.key_groups = m.keyGroups.map((g) => groupObject(g, true));
  if (m.shamirThreshold) object.shamir_threshold = m.shamirThreshold;
  const s = m.selectors;
  if (s.unencryptedSuffix) object.unencrypted_suffix = s.unencryptedSuffix;
  if (s.encryptedSuffix) object.encrypted_suffix = s.encryptedSuffix;
  if (s.unencryptedRegex) object.unencrypted_regex = s.unencryptedRegex;
  if (s.encryptedRegex) object.encrypted_regex = s.encryptedRegex;
  if (s.unencryptedCommentRegex) object.unencrypted_comment_regex = s.unencryptedCommentRegex;
  if (s.encryptedCommentRegex) object.encrypted_comment_regex = s.encryptedCommentRegex;
  if (m.macOnlyEncrypted) object.mac_only_encrypted = true;
  return fromPlain(object) as TreeMap;
}

function fromPlain(value: unknown): TreeValue {
  if (Array.isArray(value)) return { kind: "list", items: value.map(fromPlain) };
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return {
      kind: "map",
      entries: keys.map((key) => ({ key, value: fromPlain((value as Record<string, unknown>)[key]) })),
    };
  }
  if (typeof value === "boolean") return { kind: "bool", value } satisfies Scalar;
  if (typeof value === "number") return { kind: "int", value: String(value) } satisfies Scalar;
  if (value === null || value === undefined) return { kind: "null" };
  return str(String(value));
}
