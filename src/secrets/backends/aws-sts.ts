/**
 * STS `AssumeRole` (query API, SigV4 service `sts`), for KMS entries that name a `role`: sops
 * assumes the role with the session name `sops@<hostname>` and uses the temporary credentials for
 * the KMS call; so does Slipway.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { type Fetch, postText } from "./http-json.ts";
import { type AwsCredentials, signRequest } from "./sigv4.ts";

/** sops' session name: `sops@` and the hostname without characters STS refuses, at most 64 long. */
export function roleSessionName(hostname: string): string {
  return `sops@${hostname.replace(/[^a-zA-Z0-9=,.@_-]+/g, "")}`.slice(0, 64);
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export async function assumeRole(input: {
  readonly fetch: Fetch;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly now: Date;
}): Promise<AwsCredentials> {
  const url = new URL(input.endpoint);
  const body = new URLSearchParams({
    Action: "AssumeRole",
    RoleArn: input.roleArn,
    RoleSessionName: input.sessionName,
    Version: "2011-06-15",
  }).toString();
  const headers = signRequest({
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
    region: input.region,
    service: "sts",
    credentials: input.credentials,
    now: input.now,
  });
  const xml = await postText(input.fetch, "AWS STS AssumeRole", url.toString(), headers, body);
  const accessKeyId = tag(xml, "AccessKeyId");
  const secretAccessKey = tag(xml, "SecretAccessKey");
  const sessionToken = tag(xml, "SessionToken");
  if (!accessKeyId || !secretAccessKey || !sessionToken) {
    throw new SlipwayError(
      ErrorCode.KeyBackend,
      `AWS STS AssumeRole for ${input.roleArn}: no credentials in the answer`,
    );
  }
  return { accessKeyId, secretAccessKey, sessionToken };
}
