/**
 * HashiCorp Vault transit (`hc_vault` entries): the data key is encrypted by Vault's transit
 * engine, `POST /v1/<engine_path>/encrypt/<key_name>` with `{"plaintext": base64(key)}`, and the
 * returned `vault:v1:…` ciphertext is stored as `enc`, as sops does. The token comes from
 * `VAULT_TOKEN` or `~/.vault-token` (read by the caller) and goes only to a key the operator lists
 * (`keys.vault` in the platform file): a file's `vault_address`, `engine_path` and `key_name` must
 * match one exactly, over https, with path segments of a strict grammar, before any request is
 * made. Tested against a local https server that speaks this documented API; no real Vault runs
 * in the tests.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KeyEntry } from "../format/metadata.ts";
import { rfc3339 } from "../format/sops-file.ts";
import type { KeyBackend, MasterKeySpec } from "../key-backend.ts";
import { selectVaultKey, type VaultKeyConfig } from "../key-policy.ts";
import { type Fetch, postJson } from "./http-json.ts";

const encryptResponse = z.object({ data: z.object({ ciphertext: z.string().min(1) }) });
const decryptResponse = z.object({ data: z.object({ plaintext: z.string() }) });

export interface VaultTransitOptions {
  readonly token: string | undefined;
  /** Vault namespace (Enterprise), sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** The only keys a token is ever sent for (the operator's `keys.vault`). */
  readonly allowed: readonly VaultKeyConfig[];
  readonly fetch?: Fetch;
}

export class VaultTransitKeyBackend implements KeyBackend {
  readonly type = "hc_vault" as const;
  readonly #options: VaultTransitOptions;

  constructor(options: VaultTransitOptions) {
    this.#options = options;
  }

  #headers(): Record<string, string> {
    const token = this.#options.token;
    if (!token) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        "no Vault token: set VAULT_TOKEN or log in so ~/.vault-token exists",
      );
    }
    return {
      "content-type": "application/json",
      "x-vault-token": token,
      ...(this.#options.namespace ? { "x-vault-namespace": this.#options.namespace } : {}),
    };
  }

  async wrap(dataKey: Uint8Array, spec: MasterKeySpec, now: Date): Promise<KeyEntry> {
    if (spec.type !== "hc_vault")
      throw new SlipwayError(ErrorCode.KeyBackend, `Vault cannot wrap for ${spec.type}`);
    const url = this.#url(spec, "encrypt");
    const body = JSON.stringify({ plaintext: Buffer.from(dataKey).toString("base64") });
    const parsed = encryptResponse.safeParse(
      await postJson(this.#fetch(), "Vault transit", url, this.#headers(), body),
    );
    if (!parsed.success)
      throw new SlipwayError(ErrorCode.KeyBackend, `Vault transit at ${url}: unexpected answer`);
    return {
      type: "hc_vault",
      vault_address: spec.vault_address,
      engine_path: spec.engine_path,
      key_name: spec.key_name,
      created_at: rfc3339(now),
      enc: parsed.data.data.ciphertext,
    };
  }

  async unwrap(entry: KeyEntry): Promise<Uint8Array> {
    if (entry.type !== "hc_vault")
      throw new SlipwayError(ErrorCode.KeyBackend, `Vault cannot unwrap ${entry.type}`);
    const url = this.#url(entry, "decrypt");
    const body = JSON.stringify({ ciphertext: entry.enc });
    const parsed = decryptResponse.safeParse(
      await postJson(this.#fetch(), "Vault transit", url, this.#headers(), body),
    );
    if (!parsed.success)
      throw new SlipwayError(ErrorCode.KeyBackend, `Vault transit at ${url}: unexpected answer`);
    return new Uint8Array(Buffer.from(parsed.data.data.plaintext, "base64"));
  }

  /** The URL of an allowed key, built from the operator's entry; anything else is refused here. */
  #url(
    ref: { readonly vault_address: string; readonly engine_path: string; readonly key_name: string },
    op: "encrypt" | "decrypt",
  ): string {
    const key = selectVaultKey(this.#options.allowed, ref);
    if (typeof key === "string") {
      throw new SlipwayError(ErrorCode.KeyNotAllowed, `hc_vault ${ref.vault_address}: ${key}`);
    }
    const path = key.engine_path.split("/").map(encodeURIComponent).join("/");
    return `${new URL(key.address).origin}/v1/${path}/${op}/${encodeURIComponent(key.key_name)}`;
  }

  #fetch(): Fetch {
    return this.#options.fetch ?? fetch;
  }
}
