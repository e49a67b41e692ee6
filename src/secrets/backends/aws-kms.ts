/**
 * AWS KMS (`kms` entries): the data key is encrypted with the KMS `Encrypt` action (JSON 1.1
 * protocol, `X-Amz-Target: TrentService.Encrypt`, SigV4-signed) and the base64 `CiphertextBlob` is
 * stored as `enc`, as sops does; the entry's encryption context is sent on both calls. A file's
 * entry only selects a key the operator lists (`keys.kms` in the platform file), and its `role` and
 * `aws_profile` must be ones the operator allows for that key; the ARN is checked against the
 * ARN grammar and the host is built from its checked region and partition, so nothing is signed
 * for a host the file makes up. `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL` (the operator's, https)
 * override the endpoint. Credentials come from the caller: the default ones, and named profiles
 * for entries with an allowed `aws_profile`; an entry with an allowed `role` assumes it through STS
 * first (session `sops@<hostname>`). Tested against a local https server that speaks the
 * documented KMS API; no AWS account is used.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KeyEntry } from "../format/metadata.ts";
import { rfc3339 } from "../format/sops-file.ts";
import type { KeyBackend, MasterKeySpec } from "../key-backend.ts";
import { type KmsKeyConfig, selectKmsKey } from "../key-policy.ts";
import { assumeRole, roleSessionName } from "./aws-sts.ts";
import { type Fetch, postJson } from "./http-json.ts";
import { type AwsCredentials, signRequest } from "./sigv4.ts";

const encryptResponse = z.object({ CiphertextBlob: z.string().min(1) });
const decryptResponse = z.object({ Plaintext: z.string().min(1) });

export interface AwsKmsOptions {
  readonly credentials: AwsCredentials | undefined;
  /** Credentials of named profiles, for entries that carry an `aws_profile`. */
  readonly profiles?: Readonly<Record<string, AwsCredentials>>;
  /** The only keys, roles and profiles ever used (the operator's `keys.kms`). */
  readonly allowed: readonly KmsKeyConfig[];
  /** e.g. `https://127.0.0.1:4566`; default `https://sts.<region>.amazonaws.com/`. */
  readonly stsEndpoint?: string;
  /** For the role session name, as sops names it. */
  readonly hostname?: string;
  /** e.g. `https://127.0.0.1:4566`; default `https://kms.<region>.amazonaws.com`. */
  readonly endpoint?: string;
  readonly fetch?: Fetch;
  readonly clock?: () => Date;
}

/** An https endpoint the operator configured; plain http would carry signed requests and tokens in clear. */
function httpsEndpoint(endpoint: string, what: string): URL {
  const url = new URL(endpoint);
  if (url.protocol !== "https:") {
    throw new SlipwayError(ErrorCode.KeyBackend, `${what} ${endpoint} must use https`);
  }
  return url;
}

export class AwsKmsKeyBackend implements KeyBackend {
  readonly type = "kms" as const;
  readonly #options: AwsKmsOptions;
  /** Assumed-role credentials, one STS call per role and profile for the life of the backend. */
  readonly #roles = new Map<string, Promise<AwsCredentials>>();

  constructor(options: AwsKmsOptions) {
    this.#options = options;
  }

  #roleCredentials(
    role: string,
    profile: string | undefined,
    region: string,
    suffix: string,
  ): Promise<AwsCredentials> {
    const cacheKey = `${profile ?? ""}\u0000${role}`;
    let pending = this.#roles.get(cacheKey);
    if (!pending) {
      pending = assumeRole({
        fetch: this.#options.fetch ?? fetch,
        endpoint: httpsEndpoint(
          this.#options.stsEndpoint ?? `https://sts.${region}.${suffix}/`,
          "the STS endpoint",
        ).href,
        region,
        credentials: this.#credentials(profile),
        roleArn: role,
        sessionName: roleSessionName(this.#options.hostname ?? "slipway"),
        now: (this.#options.clock ?? (() => new Date()))(),
      });
      // A failed call is not cached: the next file may try again.
      pending.catch(() => this.#roles.delete(cacheKey));
      this.#roles.set(cacheKey, pending);
    }
    return pending;
  }

  #credentials(profile: string | undefined): AwsCredentials {
    if (profile) {
      const named = this.#options.profiles?.[profile];
      if (!named) {
        throw new SlipwayError(
          ErrorCode.KeyBackend,
          `no credentials for AWS profile "${profile}" in the shared credentials file`,
        );
      }
      return named;
    }
    const credentials = this.#options.credentials;
    if (!credentials) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials",
      );
    }
    return credentials;
  }

  async #call(
    action: "Encrypt" | "Decrypt",
    arn: string,
    access: { readonly profile?: string | undefined; readonly role?: string | undefined },
    payload: Record<string, unknown>,
  ): Promise<unknown> {
    const chosen = selectKmsKey(this.#options.allowed, {
      arn,
      role: access.role,
      aws_profile: access.profile,
    });
    if (typeof chosen === "string") throw new SlipwayError(ErrorCode.KeyNotAllowed, `kms ${arn}: ${chosen}`);
    const { region, host } = chosen.arn;
    const credentials = access.role
      ? await this.#roleCredentials(access.role, access.profile, region, host.slice(`kms.${region}.`.length))
      : this.#credentials(access.profile);
    const url = httpsEndpoint(this.#options.endpoint ?? `https://${host}/`, "the KMS endpoint");
    const body = JSON.stringify(payload);
    const headers = signRequest({
      method: "POST",
      url,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${action}` },
      body,
      region,
      service: "kms",
      credentials,
      now: (this.#options.clock ?? (() => new Date()))(),
    });
    return postJson(this.#options.fetch ?? fetch, `AWS KMS ${action}`, url.toString(), headers, body);
  }

  async wrap(dataKey: Uint8Array, spec: MasterKeySpec, now: Date): Promise<KeyEntry> {
    if (spec.type !== "kms") throw new SlipwayError(ErrorCode.KeyBackend, `KMS cannot wrap for ${spec.type}`);
    const answer = await this.#call(
      "Encrypt",
      spec.arn,
      { profile: spec.aws_profile, role: spec.role },
      {
        KeyId: spec.arn,
        Plaintext: Buffer.from(dataKey).toString("base64"),
        ...(spec.context ? { EncryptionContext: spec.context } : {}),
      },
    );
    const parsed = encryptResponse.safeParse(answer);
    if (!parsed.success) throw new SlipwayError(ErrorCode.KeyBackend, "AWS KMS Encrypt: unexpected answer");
    return {
      type: "kms",
      arn: spec.arn,
      ...(spec.role ? { role: spec.role } : {}),
      ...(spec.context ? { context: { ...spec.context } } : {}),
      created_at: rfc3339(now),
      enc: parsed.data.CiphertextBlob,
      aws_profile: spec.aws_profile ?? "",
    };
  }

  async unwrap(entry: KeyEntry): Promise<Uint8Array> {
    if (entry.type !== "kms") throw new SlipwayError(ErrorCode.KeyBackend, `KMS cannot unwrap ${entry.type}`);
    const answer = await this.#call(
      "Decrypt",
      entry.arn,
      { profile: entry.aws_profile, role: entry.role },
      {
        CiphertextBlob: entry.enc,
        KeyId: entry.arn,
        ...(entry.context ? { EncryptionContext: entry.context } : {}),
      },
    );
    const parsed = decryptResponse.safeParse(answer);
    if (!parsed.success) throw new SlipwayError(ErrorCode.KeyBackend, "AWS KMS Decrypt: unexpected answer");
    return new Uint8Array(Buffer.from(parsed.data.Plaintext, "base64"));
  }
}
