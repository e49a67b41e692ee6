/**
 * AWS credentials as the SDKs find them: the environment (`AWS_ACCESS_KEY_ID`, …), else the
 * shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`) under
 * `AWS_PROFILE` or `default`. Named profiles serve KMS entries that carry an `aws_profile`.
 */
import type { AwsCredentials } from "./sigv4.ts";

/** `[profile]` sections of the shared credentials file with their three keys. */
export function parseAwsCredentialsFile(text: string): Record<string, AwsCredentials> {
  const profiles: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section?.[1]) {
      current = profiles[section[1]] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  const out: Record<string, AwsCredentials> = {};
  for (const [name, p] of Object.entries(profiles)) {
    const id = p.aws_access_key_id;
    const secret = p.aws_secret_access_key;
    if (!id || !secret) continue;
    out[name] = {
      accessKeyId: id,
      secretAccessKey: secret,
      ...(p.aws_session_token ? { sessionToken: p.aws_session_token } : {}),
    };
  }
  return out;
}
