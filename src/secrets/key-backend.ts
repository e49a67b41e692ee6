/**
 * Key backends wrap and unwrap the 32-byte data key of a SOPS file. The format code knows only this
 * interface; the CLI and server (the composition roots) decide which backends exist. A file's key
 * groups list entries by type (`age`, `hc_vault`, `kms`, `pgp`); the backend for an entry's type
 * unwraps it, and wraps a new data key for a master key the creation rules name.
 */
import type { KeyEntry } from "./format/metadata.ts";

/** A master key as configured (in `.sops.yaml` or on the command line), before it wraps anything. */
export type MasterKeySpec =
  | { readonly type: "age"; readonly recipient: string }
  | { readonly type: "pgp"; readonly fp: string }
  | {
      readonly type: "hc_vault";
      readonly vault_address: string;
      readonly engine_path: string;
      readonly key_name: string;
    }
  | {
      readonly type: "kms";
      readonly arn: string;
      readonly role?: string;
      readonly context?: Readonly<Record<string, string>>;
      readonly aws_profile?: string;
    };

export type KeyType = MasterKeySpec["type"];

export interface KeyBackend {
  readonly type: KeyType;
  /** Wraps `dataKey` for one master key; `now` stamps `created_at` where the format has one. */
  wrap(dataKey: Uint8Array, spec: MasterKeySpec, now: Date): Promise<KeyEntry>;
  /** Unwraps the data key from one entry, or throws a `KeyBackend` error that says why. */
  unwrap(entry: KeyEntry): Promise<Uint8Array>;
}

/** The spec an existing entry was made from: `updatekeys` and `rotate` re-wrap for the same keys. */
export function specOf(entry: KeyEntry): MasterKeySpec | undefined {
  switch (entry.type) {
    case "age":
      return { type: "age", recipient: entry.recipient };
    case "pgp":
      return { type: "pgp", fp: entry.fp };
    case "hc_vault":
      return {
        type: "hc_vault",
        vault_address: entry.vault_address,
        engine_path: entry.engine_path,
        key_name: entry.key_name,
      };
    case "kms":
      return {
        type: "kms",
        arn: entry.arn,
        ...(entry.role ? { role: entry.role } : {}),
        ...(entry.context ? { context: entry.context } : {}),
        ...(entry.aws_profile ? { aws_profile: entry.aws_profile } : {}),
      };
    default:
      return undefined;
  }
}

export function describeSpec(spec: MasterKeySpec): string {
  switch (spec.type) {
    case "age":
      return `age ${spec.recipient}`;
    case "pgp":
      return `pgp ${spec.fp}`;
    case "hc_vault":
      return `hc_vault ${spec.vault_address}/v1/${spec.engine_path}/keys/${spec.key_name}`;
    case "kms":
      return `kms ${spec.arn}`;
  }
}
