/**
 * An opened file as the `data` of a Kubernetes Secret, for the deployment path (issue 3 §4): one
 * entry per value, keyed by its path joined with `.` (a dotenv or flat YAML file maps one to one),
 * values as `SecretValue`s. Keys must be valid Secret keys; the total size is reported so the
 * caller can refuse a Secret over 1 MiB before apply. A binary file becomes one key, `data`, unless
 * the caller names it.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { SecretValue } from "../core/secret-value.ts";
import type { OpenedDocument } from "./format/sops-file.ts";
import { secretEntries } from "./values.ts";

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** Kubernetes refuses Secrets over 1 MiB. */
export const SECRET_MAX_BYTES = 1024 * 1024;

export interface SecretData {
  readonly data: ReadonlyMap<string, SecretValue>;
  /** Sum of key and value bytes, to check against SECRET_MAX_BYTES before apply. */
  readonly bytes: number;
}

export function toSecretData(doc: OpenedDocument, options: { binaryKey?: string } = {}): SecretData {
  const data = new Map<string, SecretValue>();
  let bytes = 0;
  for (const entry of secretEntries(doc)) {
    const key = doc.format === "binary" ? (options.binaryKey ?? "data") : entry.path.map(String).join(".");
    if (!SECRET_KEY.test(key) || key.length > 253) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${doc.file}: "${key}" cannot be a Secret key (letters, digits, '-', '_', '.'; at most 253)`,
        { details: { file: doc.file, key } },
      );
    }
    if (data.has(key)) {
      throw new SlipwayError(ErrorCode.Input, `${doc.file}: two values map to the Secret key "${key}"`);
    }
    data.set(key, entry.value);
    bytes += key.length + entry.value.byteLength;
  }
  return { data, bytes };
}
