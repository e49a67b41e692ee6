/**
 * `.sops.yaml` for `slipway secrets`: found the way sops finds it (from the working directory
 * upwards, or `--config`), the creation rule for a file, and the configured indentation; the key
 * and selector flags that stand in for a rule.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Encrypter } from "age-encryption";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import {
  type CreationRule,
  creationRuleFor,
  kmsSpecFromString,
  parseSopsConfig,
  type SopsConfig,
  storeIndent,
  vaultSpecFromUri,
} from "../../secrets/creation-rules.ts";
import { regexProblem } from "../../secrets/format/regex.ts";
import type { Selectors } from "../../secrets/format/selectors.ts";
import type { MasterKeySpec } from "../../secrets/key-backend.ts";
import { parseKmsArn } from "../../secrets/key-policy.ts";
import type { CliIo } from "../io.ts";

export interface FoundConfig {
  readonly file: string;
  readonly config: SopsConfig;
}

export function findSopsConfig(io: CliIo, explicit?: string): FoundConfig | undefined {
  if (explicit) {
    const file = resolve(io.cwd, explicit);
    if (!existsSync(file)) throw new SlipwayError(ErrorCode.NotFound, `${explicit}: no such config file`);
    return { file, config: parseSopsConfig(readFileSync(file, "utf8"), file) };
  }
  let dir = resolve(io.cwd);
  for (let depth = 0; depth < 100; depth++) {
    for (const name of [".sops.yaml", ".sops.yml"]) {
      const file = join(dir, name);
      if (existsSync(file)) return { file, config: parseSopsConfig(readFileSync(file, "utf8"), file) };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

export function ruleFor(found: FoundConfig, filePath: string): CreationRule & { indent?: number } {
  const rel = relative(dirname(found.file), filePath).split(sep).join("/");
  return creationRuleFor(found.config, rel, found.file);
}

export function configIndent(found: FoundConfig | undefined, format: string): number | undefined {
  return found ? storeIndent(found.config, format) : undefined;
}

/** The key and selector flags of `secrets encrypt`. */
export interface KeyFlags {
  age?: string;
  hcVaultTransit?: string;
  kms?: string;
  awsProfile?: string;
  config?: string;
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  macOnlyEncrypted?: boolean;
}

const split = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const AGE_RECIPIENT = /^age1(pq1)?[02-9ac-hj-np-z]+$/;

function flagError(flag: string, value: string, problem: string): SlipwayError {
  return new SlipwayError(ErrorCode.Input, `${flag} ${JSON.stringify(value)}: ${problem}`, {
    details: { flag },
  });
}

/** The master keys the flags name, each checked here so a typo is a usage error naming its flag. */
export function keysFromFlags(flags: KeyFlags): MasterKeySpec[] {
  const ages = split(flags.age).map((recipient): MasterKeySpec => {
    let valid = AGE_RECIPIENT.test(recipient);
    if (valid) {
      try {
        new Encrypter().addRecipient(recipient); // checks the bech32 checksum and the key
      } catch {
        valid = false;
      }
    }
    if (!valid) throw flagError("--age", recipient, "not an age recipient (age1… or age1pq1…)");
    return { type: "age", recipient };
  });
  const kms = split(flags.kms).map((text) => {
    const spec = kmsSpecFromString(text, flags.awsProfile);
    const arn = spec.type === "kms" ? parseKmsArn(spec.arn) : undefined;
    if (typeof arn === "string") throw flagError("--kms", text, arn);
    return spec;
  });
  const vault = split(flags.hcVaultTransit).map((uri) => {
    try {
      return vaultSpecFromUri(uri);
    } catch (error) {
      throw flagError("--hc-vault-transit", uri, error instanceof Error ? error.message : String(error));
    }
  });
  return [...ages, ...kms, ...vault];
}

/** The selector flags; a regex must be valid RE2 (sops' syntax) within the length cap. */
export function selectorsFromFlags(flags: KeyFlags): Selectors {
  const regexes = [
    ["--encrypted-regex", flags.encryptedRegex],
    ["--unencrypted-regex", flags.unencryptedRegex],
  ] as const;
  for (const [flag, pattern] of regexes) {
    const problem = pattern ? regexProblem(pattern) : undefined;
    if (pattern && problem) throw flagError(flag, pattern, problem);
  }
  return {
    ...(flags.encryptedRegex ? { encryptedRegex: flags.encryptedRegex } : {}),
    ...(flags.unencryptedRegex ? { unencryptedRegex: flags.unencryptedRegex } : {}),
    ...(flags.encryptedSuffix ? { encryptedSuffix: flags.encryptedSuffix } : {}),
    ...(flags.unencryptedSuffix ? { unencryptedSuffix: flags.unencryptedSuffix } : {}),
  };
}
