/**
 * Whole-file operations: encrypt a plaintext document, open (decrypt and verify) an encrypted one,
 * and seal an opened document again. Pure apart from the key ring it is handed: the bytes come in,
 * text goes out, the caller does the I/O.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { MasterKeySpec } from "../key-backend.ts";
import type { KeyRing } from "../key-ring.ts";
import { decryptValue, encryptValue } from "./aes-value.ts";
import {
  checkSelectors,
  FORMAT_VERSION,
  type KeyEntry,
  type SopsMetadata,
  withDefaultSelector,
} from "./metadata.ts";
import type { Selectors } from "./selectors.ts";
import { emitEncrypted, formatForPath, parseEncrypted, parsePlain, type SopsFormat } from "./stores.ts";
import type { Branch } from "./tree.ts";
import { decryptBranches, encryptBranches, type IvStash } from "./walk.ts";

/** Go's time.Format(time.RFC3339): whole seconds. The MAC's additional data depends on it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

function normalizeLastModified(text: string): string {
  return text.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, "");
}

export interface EncryptOptions {
  readonly file: string;
  readonly format?: SopsFormat;
  readonly keyGroups: readonly (readonly MasterKeySpec[])[];
  readonly selectors?: Selectors;
  readonly macOnlyEncrypted?: boolean;
  /** Groups needed to rebuild the key when there are several (default: all of them). */
  readonly shamirThreshold?: number;
  readonly keys: KeyRing;
  readonly now: Date;
  readonly indent?: number;
}

export async function encryptDocument(plaintext: Uint8Array, options: EncryptOptions): Promise<string> {
  const format = options.format ?? formatForPath(options.file);
  const branches = parsePlain(plaintext, format, options.file);
  if (branches.some((b) => b.entries.some((e) => !("kind" in e) && e.key === "sops"))) {
    throw new SlipwayError(ErrorCode.Input, `${options.file}: already encrypted (it has a sops entry)`);
  }
  const dataKey = new Uint8Array(randomBytes(32));
  // sops records the threshold whenever the key is split (default: every group is needed).
  const threshold =
    options.keyGroups.length > 1 ? options.shamirThreshold || options.keyGroups.length : undefined;
  const entries = await options.keys.wrap(dataKey, options.keyGroups, options.now, threshold);
  const metadata: Omit<SopsMetadata, "mac" | "lastModified"> = {
    keyGroups: entries,
    ...(threshold ? { shamirThreshold: threshold } : {}),
    version: FORMAT_VERSION,
    // A binary file is one value that is always encrypted: sops ignores selectors and writes none.
    selectors:
      format === "binary" ? {} : withDefaultSelector(checkSelectors(options.selectors ?? {}, options.file)),
    macOnlyEncrypted: options.macOnlyEncrypted ?? false,
  };
  return seal(branches, metadata, dataKey, format, options.now, undefined, options.indent);
}

/** An encrypted file, opened: its plaintext tree and what is needed to seal it again. */
export interface OpenedDocument {
  readonly file: string;
  readonly format: SopsFormat;
  readonly branches: Branch[];
  readonly metadata: SopsMetadata;
  readonly dataKey: Uint8Array;
  readonly stash: IvStash;
  readonly indent?: number;
}

export async function openDocument(
  bytes: Uint8Array,
  options: { readonly file: string; readonly format?: SopsFormat; readonly keys: KeyRing },
): Promise<OpenedDocument> {
  const format = options.format ?? formatForPath(options.file);
  const parsed = parseEncrypted(bytes, format, options.file);
  const dataKey = await options.keys.unwrapDataKey(parsed.metadata, options.file).catch((error: unknown) => {
    throw atMetadata(error, bytes);
  });
  return openWithDataKey(parsed, dataKey, format, options.file);
}

/**
 * The key ring knows the metadata, not where it sits: its problems are placed at the file's
 * `sops` entry (a `sops:` key, `"sops":`, or the first `sops_` line of dotenv and INI files).
 */
function atMetadata(error: unknown, bytes: Uint8Array): unknown {
  if (!(error instanceof SlipwayError) || !error.problems.some((p) => p.line === 0)) return error;
  const text = new TextDecoder().decode(bytes);
  const match = /^[ \t]*(?:"sops"\s*:|sops:|sops_|\[sops\])/m.exec(text);
  const offset = match ? match.index + (match[0].length - match[0].trimStart().length) : 0;
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  const problems = error.problems.map((p) => (p.line === 0 ? { ...p, line, column } : p));
  return new SlipwayError(error.code, error.message, {
    problems,
    details: { ...error.details },
    cause: error.cause,
  });
}

/** Decrypts with a known data key and verifies the MAC (also used by tests of independent paths). */
export function openWithDataKey(
  parsed: ReturnType<typeof parseEncrypted>,
  dataKey: Uint8Array,
  format: SopsFormat,
  file: string,
): OpenedDocument {
  const { metadata } = parsed;
  const walkOptions = {
    ...withDefaultSelector(metadata.selectors),
    macOnlyEncrypted: metadata.macOnlyEncrypted,
  };
  const decrypted = decryptBranches(parsed.branches, dataKey, walkOptions);
  const stored = decryptValue(
    metadata.mac,
    dataKey,
    normalizeLastModified(metadata.lastModified),
    "sops.mac",
  );
  if (stored.kind !== "str" || stored.value !== decrypted.mac) {
    throw new SlipwayError(
      ErrorCode.SecretIntegrity,
      `${file}: MAC mismatch: values were added, removed, reordered or changed outside sops/Slipway`,
      { details: { file } },
    );
  }
  return {
    file,
    format,
    branches: decrypted.branches,
    metadata,
    dataKey,
    stash: decrypted.stash,
    ...(parsed.indent === undefined ? {} : { indent: parsed.indent }),
  };
}

function seal(
  branches: readonly Branch[],
  metadata: Omit<SopsMetadata, "mac" | "lastModified">,
  dataKey: Uint8Array,
  format: SopsFormat,
  now: Date,
  stash: IvStash | undefined,
  indent: number | undefined,
): string {
  const encrypted = encryptBranches(
    branches,
    dataKey,
    { ...withDefaultSelector(metadata.selectors), macOnlyEncrypted: metadata.macOnlyEncrypted },
    stash,
  );
  const lastModified = rfc3339(now);
  const mac = encryptValue({ kind: "str", value: encrypted.mac }, dataKey, lastModified);
  return emitEncrypted(encrypted.branches, { ...metadata, lastModified, mac }, format, {
    ...(indent === undefined ? {} : { indent }),
  });
}

export interface SealOptions {
  readonly now: Date;
  /** New key entries (updatekeys, rotate); the current ones by default. */
  readonly keyEntries?: readonly (readonly KeyEntry[])[];
  /** A new data key (rotate): every value is re-encrypted. */
  readonly dataKey?: Uint8Array;
  /** With new key groups: how many are needed to rebuild the key. */
  readonly shamirThreshold?: number;
}

/**
 * Encrypts an opened document's (possibly edited) tree again. With the same data key, unchanged
 * values keep their exact ciphertext, so a diff shows only the values that changed.
 */
export function sealDocument(doc: OpenedDocument, branches: readonly Branch[], options: SealOptions): string {
  const dataKey = options.dataKey ?? doc.dataKey;
  const stash = options.dataKey ? undefined : doc.stash;
  const keyGroups = options.keyEntries ?? doc.metadata.keyGroups;
  const { shamirThreshold: _old, ...rest } = doc.metadata;
  const threshold = options.shamirThreshold ?? doc.metadata.shamirThreshold;
  const metadata = {
    ...rest,
    keyGroups,
    ...(keyGroups.length > 1 ? { shamirThreshold: threshold || keyGroups.length } : {}),
    version: FORMAT_VERSION,
  };
  return seal(branches, metadata, dataKey, doc.format, options.now, stash, doc.indent);
}
