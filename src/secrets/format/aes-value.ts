/**
 * One encrypted value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a 32-byte IV and
 * the value's key path (`a:b:`) as additional data, so a value moved to another key fails to
 * decrypt. The plaintext bytes per type are those `sops` uses (`True`/`False` for booleans, Go's
 * shortest `'f'` formatting for floats). `node:crypto` is computation, not I/O.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { goFormatFloatF } from "./go-number.ts";
import type { Comment, Scalar } from "./tree.ts";

const IV_BYTES = 32;
const TAG_BYTES = 16;
const ENC_PATTERN = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;

/** Random IVs drawn from a pool: one system call per 256 values instead of one per value. */
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
function freshIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 256);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

export type Plain = Exclude<Scalar, { kind: "null" }> | Comment;

/** The bytes `sops` encrypts and hashes for a value (its `ToBytes`). */
export function plainBytes(value: Plain): Uint8Array {
  switch (value.kind) {
    case "str":
      return value.raw ?? Buffer.from(value.value, "utf8");
    case "int":
    case "time":
    case "comment":
      return Buffer.from(value.value, "utf8");
    case "float":
      return Buffer.from(goFormatFloatF(value.value), "utf8");
    case "bool":
      return Buffer.from(value.value ? "True" : "False", "utf8");
    case "bytes":
      return value.value;
  }
}

function typeTag(value: Plain): string {
  return value.kind === "str" ? "str" : value.kind;
}

export function isEncryptedValue(text: string): boolean {
  return ENC_PATTERN.test(text);
}

/** `iv` is for callers that must reproduce a value exactly (tests); normally it is random. */
export function encryptValue(value: Plain, key: Uint8Array, aad: string, iv?: Uint8Array): string {
  const data = plainBytes(value);
  if (data.length === 0 && (value.kind === "str" || value.kind === "comment" || value.kind === "bytes")) {
    // sops leaves empty strings empty: there is nothing to hide and nothing to hash.
    return "";
  }
  const nonce = iv ?? freshIv();
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${sealed.toString("base64")},iv:${Buffer.from(nonce).toString("base64")},tag:${tag.toString("base64")},type:${typeTag(value)}]`;
}

/**
 * Decrypts one value. `where` names the value in errors (its path), never its content. A wrong key,
 * a changed byte or a value moved to another path all fail GCM authentication here.
 */
export function decryptValue(text: string, key: Uint8Array, aad: string, where: string): Plain {
  if (text === "") return { kind: "str", value: "" };
  const match = ENC_PATTERN.exec(text);
  if (!match) {
    throw new SlipwayError(
      ErrorCode.SecretIntegrity,
      `${where}: value is not in the ENC[AES256_GCM,…] format`,
      {
        details: { path: where },
      },
    );
  }
  const [, data = "", ivText = "", tagText = "", type = ""] = match;
  const iv = Buffer.from(ivText, "base64");
  const tag = Buffer.from(tagText, "base64");
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]);
  } catch (cause) {
    throw new SlipwayError(
      ErrorCode.SecretIntegrity,
      `${where}: value failed authentication (tampered, moved to another key, or a different data key)`,
      { details: { path: where }, cause },
    );
  }
  return typed(plain, type, where);
}

function typed(plain: Buffer, type: string, where: string): Plain {
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
      // Keep the exact bytes when they are not UTF-8, so binary files round-trip.
      return Buffer.from(text, "utf8").equals(plain)
        ? { kind: "str", value: text }
        : { kind: "str", value: text, raw: new Uint8Array(plain) };
    case "int":
      if (!/^[+-]?\d+$/.test(text)) break;
      return { kind: "int", value: BigInt(text).toString() };
    case "float": {
      const n = parseGoFloat(text);
      if (n === undefined) break;
      return { kind: "float", value: n };
    }
    case "bool": {
      // Go's strconv.ParseBool.
      if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return { kind: "bool", value: true };
      if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return { kind: "bool", value: false };
      break;
    }
    case "bytes":
      return { kind: "bytes", value: new Uint8Array(plain) };
    case "time":
      return { kind: "time", value: text };
    case "comment":
      return { kind: "comment", value: text, inline: false };
    default:
      throw new SlipwayError(ErrorCode.SecretDecrypt, `${where}: unknown value type "${type}"`, {
        details: { path: where },
      });
  }
  throw new SlipwayError(ErrorCode.SecretDecrypt, `${where}: decrypted value is not a valid ${type}`, {
    details: { path: where },
  });
}

function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
