/**
 * The key ring a command gets from its environment: age identities from the sops variables and
 * keys file, a Vault token from `VAULT_TOKEN` or `~/.vault-token`, AWS credentials from
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` or the shared credentials file
 * (`AWS_PROFILE`, named profiles for entries with `aws_profile`), endpoints from
 * `AWS_ENDPOINT_URL_KMS`/`AWS_ENDPOINT_URL`, armored PGP secret keys from `SLIPWAY_PGP_KEY_FILE`
 * (a GnuPG keyring is not read). Called by composition roots only.
 *
 * Which keys may be used is not the environment's to say alone: the operator's `keys:` (from the
 * platform file) lists the Vault and KMS keys a token or signature may ever go to, and which
 * team each key serves; for a deploy, `scope` narrows the ring to the app's team (its age
 * identities and PGP keys included) and binds KMS ciphertext to `{team, app}`.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { KeyPolicy, type KeyScope, type KeysConfig } from "../key-policy.ts";
import { KeyRing } from "../key-ring.ts";
import { AgeKeyBackend } from "./age.ts";
import { loadAgeIdentities } from "./age-keys.ts";
import { parseAwsCredentialsFile } from "./aws-credentials.ts";
import { AwsKmsKeyBackend } from "./aws-kms.ts";
import { PgpKeyBackend } from "./pgp.ts";
import type { AwsCredentials } from "./sigv4.ts";
import { VaultTransitKeyBackend } from "./vault-transit.ts";

type Env = Readonly<Record<string, string | undefined>>;

function vaultToken(env: Env): string | undefined {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  const file = join(env.HOME || homedir(), ".vault-token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

function pgpKeys(env: Env): string[] {
  const file = env.SLIPWAY_PGP_KEY_FILE;
  if (!file) return [];
  if (!existsSync(file))
    throw new SlipwayError(
      ErrorCode.NotFound,
      `SLIPWAY_PGP_KEY_FILE points to ${file}, which does not exist`,
    );
  return [readFileSync(file, "utf8")];
}

function awsProfiles(env: Env): Record<string, AwsCredentials> {
  const file = env.AWS_SHARED_CREDENTIALS_FILE || join(env.HOME || homedir(), ".aws", "credentials");
  return existsSync(file) ? parseAwsCredentialsFile(readFileSync(file, "utf8")) : {};
}

export interface KeyAccess {
  /** The operator's `keys:`; without it no Vault or KMS key may be used. */
  readonly keys?: KeysConfig | undefined;
  /** The platform's team names. */
  readonly teams?: readonly string[] | undefined;
  /** For a deploy: the app and the team it is registered under. */
  readonly scope?: KeyScope | undefined;
}

export function keyRingFromEnv(env: Env, access: KeyAccess = {}): KeyRing {
  const policy = new KeyPolicy(access.keys, {
    ...(access.scope ? { scope: access.scope } : {}),
    ...(access.teams ? { declaredTeams: access.teams } : {}),
  });
  const endpoint = env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL;
  const stsEndpoint = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  const profiles = awsProfiles(env);
  const credentials: AwsCredentials | undefined =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : profiles[env.AWS_PROFILE || "default"];
  return new KeyRing(
    [
      new AgeKeyBackend(
        loadAgeIdentities(env),
        policy.ageRecipients ? { recipients: policy.ageRecipients } : {},
      ),
      new VaultTransitKeyBackend({
        token: vaultToken(env),
        allowed: policy.vault,
        ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
      }),
      new AwsKmsKeyBackend({
        credentials,
        profiles,
        allowed: policy.kms,
        hostname: hostname(),
        ...(endpoint ? { endpoint } : {}),
        ...(stsEndpoint ? { stsEndpoint } : {}),
      }),
      new PgpKeyBackend(pgpKeys(env), policy.pgpFingerprints ? { fingerprints: policy.pgpFingerprints } : {}),
    ],
    policy,
  );
}
