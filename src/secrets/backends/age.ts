/**
 * age: the data key is encrypted to each recipient as a complete, ASCII-armored age file (one
 * recipient per file, as sops writes it) whose payload is the raw 32-byte key. X25519 recipients
 * (`age1…`) and post-quantum hybrid ML-KEM-768 + X25519 recipients (`age1pq1…`, identities
 * `AGE-SECRET-KEY-PQ-1…`) are both supported by the `age-encryption` library.
 */
import { armor, Decrypter, Encrypter, identityToRecipient } from "age-encryption";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KeyEntry } from "../format/metadata.ts";
import type { KeyBackend, MasterKeySpec } from "../key-backend.ts";

const RECIPIENT = /^age1(pq1)?[02-9ac-hj-np-z]+$/;

export class AgeKeyBackend implements KeyBackend {
  readonly type = "age" as const;
  readonly #identities: readonly string[];
  readonly #recipients: ReadonlySet<string> | undefined;
  #usable: Promise<readonly string[]> | undefined;

  /**
   * `identities` are `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` strings (see `loadAgeIdentities`).
   * With `recipients` (a team's keys), only identities of those recipients are ever tried: the
   * `recipient` label of a file's entry is not authenticated, so filtering labels alone would let
   * another team's entry, relabelled, open with that team's identity.
   */
  constructor(identities: readonly string[], options: { readonly recipients?: ReadonlySet<string> } = {}) {
    this.#identities = identities;
    this.#recipients = options.recipients;
  }

  #usableIdentities(): Promise<readonly string[]> {
    const recipients = this.#recipients;
    if (!recipients) return Promise.resolve(this.#identities);
    this.#usable ??= Promise.all(
      this.#identities.map(async (id) => (recipients.has(await identityToRecipient(id)) ? [id] : [])),
    ).then((kept) => kept.flat());
    return this.#usable;
  }

  async wrap(dataKey: Uint8Array, spec: MasterKeySpec): Promise<KeyEntry> {
    if (spec.type !== "age")
      throw new SlipwayError(ErrorCode.KeyBackend, `age backend cannot wrap for ${spec.type}`);
    const recipient = spec.recipient.trim();
    if (!RECIPIENT.test(recipient)) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        `"${recipient}" is not an age recipient (expected age1… or a post-quantum age1pq1… public key)`,
      );
    }
    const encrypter = new Encrypter();
    try {
      encrypter.addRecipient(recipient);
    } catch (cause) {
      throw new SlipwayError(ErrorCode.KeyBackend, `age recipient ${recipient} is invalid`, { cause });
    }
    const file = await encrypter.encrypt(dataKey);
    return { type: "age", recipient, enc: armor.encode(file) };
  }

  async unwrap(entry: KeyEntry): Promise<Uint8Array> {
    if (entry.type !== "age")
      throw new SlipwayError(ErrorCode.KeyBackend, `age backend cannot unwrap ${entry.type}`);
    const identities = await this.#usableIdentities();
    if (identities.length === 0) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        this.#identities.length === 0
          ? "no age identity found (set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE, or put keys in ~/.config/sops/age/keys.txt)"
          : "no age identity of this team's recipients is configured",
      );
    }
    const decrypter = new Decrypter();
    for (const identity of identities) decrypter.addIdentity(identity);
    let file: Uint8Array;
    try {
      file = armor.decode(entry.enc);
    } catch (cause) {
      throw new SlipwayError(
        ErrorCode.SecretIntegrity,
        `age entry for ${entry.recipient} is not a valid armored age file`,
        {
          cause,
        },
      );
    }
    try {
      return await decrypter.decrypt(file);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new SlipwayError(ErrorCode.KeyBackend, `none of the age identities opens it (${why})`, { cause });
    }
  }
}
