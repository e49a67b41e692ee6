/**
 * Where age identities come from, as in sops: `SOPS_AGE_KEY` (the keys themselves),
 * `SOPS_AGE_KEY_FILE` (a keys file), and the default keys file
 * `$XDG_CONFIG_HOME/sops/age/keys.txt` (or `~/.config/sops/age/keys.txt`), and the output of
 * `SOPS_AGE_KEY_CMD` (a shell command, e.g. reading a password manager). All found keys are used.
 * Key files are read only here, at the edge; the backend gets plain strings.
 */
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export function parseAgeIdentities(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

export function defaultAgeKeysFile(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "sops", "age", "keys.txt");
}

export function loadAgeIdentities(env: Readonly<Record<string, string | undefined>>): string[] {
  const identities: string[] = [];
  if (env.SOPS_AGE_KEY) identities.push(...parseAgeIdentities(env.SOPS_AGE_KEY));
  if (env.SOPS_AGE_KEY_FILE) {
    if (!existsSync(env.SOPS_AGE_KEY_FILE)) {
      throw new SlipwayError(
        ErrorCode.NotFound,
        `SOPS_AGE_KEY_FILE points to ${env.SOPS_AGE_KEY_FILE}, which does not exist`,
      );
    }
    identities.push(...parseAgeIdentities(readFileSync(env.SOPS_AGE_KEY_FILE, "utf8")));
  }
  if (env.SOPS_AGE_KEY_CMD) {
    let output: string;
    try {
      output = execSync(env.SOPS_AGE_KEY_CMD, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...env } as NodeJS.ProcessEnv,
      });
    } catch (cause) {
      throw new SlipwayError(
        ErrorCode.KeyBackend,
        "SOPS_AGE_KEY_CMD failed (it should print age identities)",
        { cause },
      );
    }
    identities.push(...parseAgeIdentities(output));
  }
  const fallback = defaultAgeKeysFile(env);
  if (existsSync(fallback)) identities.push(...parseAgeIdentities(readFileSync(fallback, "utf8")));
  return identities;
}
