/**
 * The set of backends one command or deployment may use. It unwraps a file's data key by trying
 * each entry (age first, then PGP, then the rest: local keys before network calls, as sops does)
 * and wraps a new data key for every configured master key.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KeyEntry, SopsMetadata } from "./format/metadata.ts";
import { describeSpec, type KeyBackend, type KeyType, type MasterKeySpec, specOf } from "./key-backend.ts";

const ORDER: readonly string[] = ["age", "pgp"];
const rank = (e: KeyEntry): number => {
  const i = ORDER.indexOf(e.type);
  return i < 0 ? ORDER.length : i;
};

export class KeyRing {
  readonly #backends: ReadonlyMap<KeyType, KeyBackend>;

  constructor(backends: readonly KeyBackend[]) {
    this.#backends = new Map(backends.map((b) => [b.type, b]));
  }

  async unwrapDataKey(metadata: SopsMetadata, file: string): Promise<Uint8Array> {
    if (metadata.keyGroups.length > 1) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        `${file}: the data key is split over ${metadata.keyGroups.length} key groups (Shamir); Slipway reads single-group files only`,
      );
    }
    const entries = [...(metadata.keyGroups[0] ?? [])].sort((a, b) => rank(a) - rank(b));
    const reasons: string[] = [];
    for (const entry of entries) {
      const backend = this.#backends.get(entry.type as KeyType);
      const label = describeEntry(entry);
      if (!backend) {
        reasons.push(`${label}: no ${entry.type} backend configured`);
        continue;
      }
      try {
        const key = await backend.unwrap(entry);
        if (key.length !== 32)
          throw new SlipwayError(ErrorCode.KeyBackend, `data key is ${key.length} bytes, not 32`);
        return key;
      } catch (error) {
        // Each failure is kept for the report; the next master key may still succeed.
        reasons.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new SlipwayError(ErrorCode.SecretDecrypt, `${file}: no master key could unwrap the data key`, {
      details: { file, attempts: reasons },
      problems: reasons.map((message) => ({ file, line: 0, column: 0, path: "sops", message })),
    });
  }

  async wrap(
    dataKey: Uint8Array,
    groups: readonly (readonly MasterKeySpec[])[],
    now: Date,
  ): Promise<KeyEntry[][]> {
    return Promise.all(
      groups.map((group) =>
        Promise.all(
          group.map((spec) => {
            const backend = this.#backends.get(spec.type);
            if (!backend) {
              throw new SlipwayError(
                ErrorCode.KeyBackend,
                `no ${spec.type} backend configured to wrap the data key`,
              );
            }
            return backend.wrap(dataKey, spec, now);
          }),
        ),
      ),
    );
  }

  /** The specs of a file's current entries; entries of kinds Slipway cannot use are reported. */
  static specsOf(metadata: SopsMetadata): MasterKeySpec[][] {
    return metadata.keyGroups.map((group) =>
      group.map((entry) => {
        const spec = specOf(entry);
        if (!spec) throw new SlipwayError(ErrorCode.KeyBackend, `cannot re-wrap for a ${entry.type} key`);
        return spec;
      }),
    );
  }
}

export function describeEntry(entry: KeyEntry): string {
  const spec = specOf(entry);
  return spec ? describeSpec(spec) : entry.type;
}
