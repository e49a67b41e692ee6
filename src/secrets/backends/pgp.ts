/**
 * PGP (`pgp` entries): the data key is an OpenPGP message encrypted to the key with the entry's
 * fingerprint, as sops writes it with GnuPG. Slipway reads armored secret keys handed to it (e.g.
 * from `SLIPWAY_PGP_KEY_FILE`) with the `openpgp` library; it does not read a GnuPG keyring or
 * talk to gpg-agent. New files should use age; PGP is here so existing files keep opening.
 */
import * as openpgp from "openpgp";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KeyEntry } from "../format/metadata.ts";
import { rfc3339 } from "../format/sops-file.ts";
import type { KeyBackend, MasterKeySpec } from "../key-backend.ts";

export class PgpKeyBackend implements KeyBackend {
  readonly type = "pgp" as const;
  readonly #armoredKeys: readonly string[];
  readonly #fingerprints: ReadonlySet<string> | undefined;
  #keys: Promise<openpgp.Key[]> | undefined;

  /**
   * `armoredKeys`: ASCII-armored keys. Secret keys (without passphrase) unwrap; public keys are
   * enough to wrap a data key for their fingerprint. With `fingerprints` (a team's keys, lower
   * case), only secret keys with one of them ever unwrap: an entry's `fp` label is not authenticated.
   */
  constructor(armoredKeys: readonly string[], options: { readonly fingerprints?: ReadonlySet<string> } = {}) {
    this.#armoredKeys = armoredKeys;
    this.#fingerprints = options.fingerprints;
  }

  #load(): Promise<openpgp.Key[]> {
    this.#keys ??= Promise.all(
      this.#armoredKeys.map(async (armoredKeys) => openpgp.readKeys({ armoredKeys })),
    ).then((lists) => lists.flat());
    return this.#keys;
  }

  async #keyFor(fp: string): Promise<openpgp.Key | undefined> {
    const wanted = fp.replace(/\s/g, "").toLowerCase();
    for (const key of await this.#load()) {
      const fps = [key, ...key.getSubkeys()].map((k) => k.getFingerprint().toLowerCase());
      if (fps.some((f) => f === wanted || f.endsWith(wanted))) return key;
    }
    return undefined;
  }

  async wrap(dataKey: Uint8Array, spec: MasterKeySpec, now: Date): Promise<KeyEntry> {
    if (spec.type !== "pgp") throw new SlipwayError(ErrorCode.KeyBackend, `PGP cannot wrap for ${spec.type}`);
    const key = await this.#keyFor(spec.fp);
    if (!key)
      throw new SlipwayError(ErrorCode.KeyBackend, `no PGP key with fingerprint ${spec.fp} was provided`);
    const message = await openpgp.createMessage({ binary: dataKey });
    const enc = await openpgp.encrypt({ message, encryptionKeys: key.toPublic(), format: "armored" });
    return { type: "pgp", fp: spec.fp, created_at: rfc3339(now), enc: String(enc) };
  }

  async unwrap(entry: KeyEntry): Promise<Uint8Array> {
    if (entry.type !== "pgp") throw new SlipwayError(ErrorCode.KeyBackend, `PGP cannot unwrap ${entry.type}`);
    const allowed = this.#fingerprints;
    const keys = (await this.#load())
      .filter((k): k is openpgp.PrivateKey => k.isPrivate())
      .filter((k) => !allowed || [...allowed].some((fp) => k.getFingerprint().toLowerCase().endsWith(fp)));
    if (keys.length === 0) {
      throw new SlipwayError(ErrorCode.KeyBackend, "no PGP secret keys provided (set SLIPWAY_PGP_KEY_FILE)");
    }
    try {
      const message = await openpgp.readMessage({ armoredMessage: entry.enc });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: keys, format: "binary" });
      return data as Uint8Array;
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new SlipwayError(ErrorCode.KeyBackend, `no provided PGP key opens it (${why})`, { cause });
    }
  }
}
