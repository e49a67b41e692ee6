/**
 * The key ring a command gets from its environment: age identities from the sops variables and
 * keys file, a Vault token from `VAULT_TOKEN` or `~/.vault-token`, AWS credentials from
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, endpoints from
 * `AWS_ENDPOINT_URL_KMS`/`AWS_ENDPOINT_URL`. Called by composition roots only.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KeyRing } from "../key-ring.ts";
import { AgeKeyBackend } from "./age.ts";
import { loadAgeIdentities } from "./age-keys.ts";
import { AwsKmsKeyBackend } from "./aws-kms.ts";
import { VaultTransitKeyBackend } from "./vault-transit.ts";

type Env = Readonly<Record<string, string | undefined>>;

function vaultToken(env: Env): string | undefined {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  const file = join(env.HOME || homedir(), ".vault-token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

export function keyRingFromEnv(env: Env): KeyRing {
  const endpoint = env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return new KeyRing([
    new AgeKeyBackend(loadAgeIdentities(env)),
    new VaultTransitKeyBackend({
      token: vaultToken(env),
      ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
    }),
    new AwsKmsKeyBackend({ credentials, ...(endpoint ? { endpoint } : {}) }),
  ]);
}
