/**
 * The set of backends one command or deployment may use. It unwraps a file's data key by trying
 * each entry (age first, then PGP, then the rest: local keys before network calls, as sops does)
 * and wraps a new data key for every configured master key. With several key groups the key is
 * split with Shamir's scheme: each group wraps one share, `shamir_threshold` shares rebuild it.
 *
 * With a `KeyPolicy` (the operator's keys, and for a deploy the app's team), a file's entries are
 * screened first: entries the policy refuses are never handed to a backend, and a file none of
 * whose entries may be used is refused before any backend runs, naming each entry and why.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KeyEntry, KeyGroup, SopsMetadata } from "./format/metadata.ts";
import { describeSpec, type KeyBackend, type KeyType, type MasterKeySpec, specOf } from "./key-backend.ts";
import type { KeyPolicy } from "./key-policy.ts";
import { combineShares, splitSecret } from "./shamir.ts";

const ORDER: readonly string[] = ["age", "pgp"];
const rank = (e: KeyEntry): number => {
  const i = ORDER.indexOf(e.type);
  return i < 0 ? ORDER.length : i;
};

export class KeyRing {
  readonly #backends: ReadonlyMap<KeyType, KeyBackend>;
  readonly #policy: KeyPolicy | undefined;

  constructor(backends: readonly KeyBackend[], policy?: KeyPolicy) {
    this.#backends = new Map(backends.map((b) => [b.type, b]));
    this.#policy = policy;
  }

  /** The groups with only the entries the policy admits; refusals are reported, then maybe thrown. */
  #screen(metadata: SopsMetadata, file: string, reasons: string[]): KeyGroup[] {
    const policy = this.#policy;
    if (!policy) return [...metadata.keyGroups];
    const many = metadata.keyGroups.length > 1;
    const refused: string[] = [];
    const groups = metadata.keyGroups.map((group, index) =>
      group.filter((entry) => {
        const why = policy.admit(entry);
        if (why) refused.push(`${many ? `group ${index + 1}: ` : ""}${describeEntry(entry)}: ${why}`);
        return why === undefined;
      }),
    );
    reasons.push(...refused);
    const threshold = many ? metadata.shamirThreshold || groups.length : 1;
    if (refused.length > 0 && groups.filter((g) => g.length > 0).length < threshold) {
      const scope = policy.scope;
      const whom = scope
        ? `for team ${scope.team} (app ${scope.app})`
        : "by the operator's key configuration";
      throw new SlipwayError(
        ErrorCode.KeyNotAllowed,
        `${file}: refused, no master key of this file is allowed ${whom}; no key service was contacted. ${refused.join("; ")}`,
        {
          details: { file, ...(scope ? { team: scope.team, app: scope.app } : {}), refused },
          problems: refused.map((m) => ({ file, line: 0, column: 0, path: "sops", message: m })),
        },
      );
    }
    return groups;
  }

  async unwrapDataKey(metadata: SopsMetadata, file: string): Promise<Uint8Array> {
    const reasons: string[] = [];
    const keyGroups = this.#screen(metadata, file, reasons);
    if (keyGroups.length > 1) {
      const threshold = metadata.shamirThreshold || keyGroups.length;
      const shares: Uint8Array[] = [];
      for (const [index, group] of keyGroups.entries()) {
        if (shares.length >= threshold) break;
        const share = await this.#unwrapGroup(group, reasons, `group ${index + 1}: `);
        if (share) shares.push(share);
      }
      if (shares.length >= threshold) return combineShares(shares);
      throw failure(
        file,
        reasons,
        `only ${shares.length} of the ${threshold} key groups needed could be opened`,
      );
    }
    const key = await this.#unwrapGroup(keyGroups[0] ?? [], reasons, "");
    if (key && key.length === 32) return key;
    if (key) reasons.push(`data key is ${key.length} bytes, not 32`);
    throw failure(file, reasons, "no master key could unwrap the data key");
  }

  async #unwrapGroup(group: KeyGroup, reasons: string[], prefix: string): Promise<Uint8Array | undefined> {
    const entries = [...group].sort((a, b) => rank(a) - rank(b));
    for (const entry of entries) {
      const backend = this.#backends.get(entry.type as KeyType);
      const label = `${prefix}${describeEntry(entry)}`;
      if (!backend) {
        reasons.push(`${label}: no ${entry.type} backend configured`);
        continue;
      }
      try {
        return await backend.unwrap(entry);
      } catch (error) {
        // Each failure is kept for the report; the next master key may still succeed.
        reasons.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return undefined;
  }

  /** Wraps the key (or, with several groups, one Shamir share per group) for every master key. */
  async wrap(
    dataKey: Uint8Array,
    groups: readonly (readonly MasterKeySpec[])[],
    now: Date,
    shamirThreshold?: number,
  ): Promise<KeyEntry[][]> {
    // Every key is checked before any is used: a refused one must not follow a request already sent.
    for (const spec of groups.flat()) {
      const refused = this.#policy?.admitSpec(spec);
      if (refused) throw new SlipwayError(ErrorCode.KeyNotAllowed, `${describeSpec(spec)}: ${refused}`);
    }
    const parts =
      groups.length > 1 ? splitSecret(dataKey, groups.length, shamirThreshold || groups.length) : [dataKey];
    return Promise.all(
      groups.map((group, index) =>
        Promise.all(
          group.map((configured) => {
            // A deploy's ring binds KMS ciphertext to its team and app.
            const spec = this.#policy?.bind(configured) ?? configured;
            const backend = this.#backends.get(spec.type);
            if (!backend) {
              throw new SlipwayError(
                ErrorCode.KeyBackend,
                `no ${spec.type} backend configured to wrap the data key`,
              );
            }
            return backend.wrap(parts[index] as Uint8Array, spec, now);
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

function failure(file: string, reasons: string[], message: string): SlipwayError {
  return new SlipwayError(ErrorCode.SecretDecrypt, `${file}: ${message}`, {
    details: { file, attempts: reasons },
    problems: reasons.map((m) => ({ file, line: 0, column: 0, path: "sops", message: m })),
  });
}

export function describeEntry(entry: KeyEntry): string {
  const spec = specOf(entry);
  return spec ? describeSpec(spec) : entry.type;
}
