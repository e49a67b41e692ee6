/**
 * HashiCorp Vault transit (`hc_vault` entries): the data key is encrypted by Vault's transit
 * engine, `POST /v1/<engine_path>/encrypt/<key_name>` with `{"plaintext": base64(key)}`, and the
 * returned `vault:v1:…` ciphertext is stored as `enc`, as sops does. The token comes from
 * `VAULT_TOKEN` or `~/.vault-token` (read by the caller). Tested against a local HTTP server that
 * speaks this documented API; no real Vault runs in the tests.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KeyEntry } from "../format/metadata.ts";
import { rfc3339 } from "../format/sops-file.ts";
import type { KeyBackend, MasterKeySpec } from "../key-backend.ts";
import { type Fetch, postJson } from "./http-json.ts";

const encryptResponse = z.object({ data: z.object({ ciphertext: z.string().min(1) }) });
const decryptResponse = z.object({ data: z.object({ plaintext: z.string() }) });

export interface VaultTransitOptions {
  readonly token: string | undefined;
  /** Vault namespace (Enterprise), sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
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
    const url = `${spec.vault_address}/v1/${spec.engine_path}/encrypt/${spec.key_name}`;
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
    const url = `${entry.vault_address}/v1/${entry.engine_path}/decrypt/${entry.key_name}`;
    const body = JSON.stringify({ ciphertext: entry.enc });
    const parsed = decryptResponse.safeParse(
      await postJson(this.#fetch(), "Vault transit", url, this.#headers(), body),
    );
    if (!parsed.success)
      throw new SlipwayError(ErrorCode.KeyBackend, `Vault transit at ${url}: unexpected answer`);
    return new Uint8Array(Buffer.from(parsed.data.data.plaintext, "base64"));
  }

  #fetch(): Fetch {
    return this.#options.fetch ?? fetch;
  }
}
