/**
 * Which master keys a file may use, decided by the operator, never by the file. A SOPS file's
 * metadata names its master keys (a Vault address and path, a KMS ARN with a role and profile, age
 * recipients); an app's repository is untrusted, so those names only select among the keys the
 * operator lists under `keys:` in the platform file. Each listed key belongs to teams: a deploy of
 * team T's app opens only files wrapped for T's keys, and KMS binds the ciphertext to its app
 * through the encryption context `{team, app}`.
 *
 * Pure: grammar checks and allowlist decisions. A refusal is a reason string naming the entry and
 * what the operator would add; the key ring turns reasons into one error before any network call.
 */
import { z } from "zod";
import type { KeyEntry } from "./format/metadata.ts";
import type { MasterKeySpec } from "./key-backend.ts";

/** DNS suffix of each AWS partition Slipway builds KMS and STS hosts for. */
const PARTITIONS: Readonly<Record<string, string>> = {
  aws: "amazonaws.com",
  "aws-cn": "amazonaws.com.cn",
  "aws-us-gov": "amazonaws.com",
};
const REGION = /^[a-z]{2,4}(-[a-z]+)+-[1-9][0-9]?$/;
const ACCOUNT = /^[0-9]{12}$/;
const KMS_RESOURCE =
  /^(key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250})$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
/** One path segment of a Vault mount or key name: no `.`/`..`, no `?`, `#`, `%` or `/`. */
const VAULT_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const AGE_RECIPIENT = /^age1(pq1)?[02-9ac-hj-np-z]+$/;
const TEAM = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface KmsArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `kms.<region>.<partition suffix>`: only ever built from a checked region. */
  readonly host: string;
}

/** Parses `arn:<partition>:kms:<region>:<account>:key/<id>|alias/<name>`, or says what is wrong. */
export function parseKmsArn(arn: string): KmsArn | string {
  const parts = arn.split(":");
  const [prefix, partition = "", service, region = "", account = "", resource = ""] = parts;
  const suffix = PARTITIONS[partition];
  if (parts.length !== 6 || prefix !== "arn" || service !== "kms" || suffix === undefined)
    return `"${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>)`;
  if (!REGION.test(region)) return `"${arn}": "${region}" is not an AWS region such as eu-west-1`;
  if (!ACCOUNT.test(account)) return `"${arn}": the account must be 12 digits`;
  if (!KMS_RESOURCE.test(resource)) return `"${arn}": the resource must be key/<key id> or alias/<name>`;
  return { partition, region, account, host: `kms.${region}.${suffix}` };
}

/** The origin of an https Vault address without credentials, path, query or fragment, or a reason. */
export function vaultOrigin(address: string): { readonly origin: string } | string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `"${address}" is not a URL`;
  }
  if (url.protocol !== "https:") return `"${address}": a Vault address must use https`;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== ""))
    return `"${address}": a Vault address is scheme, host and port only`;
  return { origin: url.origin };
}

export function vaultPathProblem(enginePath: string, keyName: string): string | undefined {
  const segments = enginePath.split("/");
  if (segments.length > 8 || !segments.every((s) => VAULT_SEGMENT.test(s)))
    return `engine_path "${enginePath}" must be mount path segments of letters, digits, '_', '-' and '.'`;
  if (!VAULT_SEGMENT.test(keyName))
    return `key_name "${keyName}" must be one segment of letters, digits, '_', '-' and '.'`;
  return undefined;
}

const teams = z
  .array(z.string().regex(TEAM, "must be a team name of the platform"))
  .min(1)
  .describe("The teams whose apps may open files wrapped for this key.");

const vaultKey = z.strictObject({
  address: z
    .string()
    .refine((a) => typeof vaultOrigin(a) !== "string", "must be an https origin such as https://vault:8200"),
  engine_path: z.string(),
  key_name: z.string(),
  teams,
});

const kmsKey = z.strictObject({
  arn: z
    .string()
    .refine(
      (a) => typeof parseKmsArn(a) !== "string",
      "must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>",
    ),
  roles: z
    .array(z.string().regex(ROLE_ARN, "must be an IAM role ARN, arn:aws:iam::<account>:role/<name>"))
    .optional()
    .describe("Roles a file may assume for this key; without it, a file naming a role is refused."),
  aws_profiles: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a profile name"))
    .optional()
    .describe("Named credential profiles a file may pick for this key; default credentials otherwise."),
  teams,
});

export const keysConfigSchema = z
  .strictObject({
    age: z
      .array(
        z.strictObject({ recipient: z.string().regex(AGE_RECIPIENT, "must be an age recipient"), teams }),
      )
      .optional(),
    pgp: z
      .array(
        z.strictObject({ fp: z.string().regex(/^[0-9A-Fa-f]{16,40}$/, "must be a key fingerprint"), teams }),
      )
      .optional(),
    vault: z
      .array(
        vaultKey.superRefine((k, ctx) => {
          const problem = vaultPathProblem(k.engine_path, k.key_name);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      )
      .optional(),
    kms: z.array(kmsKey).optional(),
  })
  .describe(
    "Master keys Slipway may use, and which teams' files each opens. A SOPS file only selects among these.",
  );

export type KeysConfig = z.infer<typeof keysConfigSchema>;
export type VaultKeyConfig = NonNullable<KeysConfig["vault"]>[number];
export type KmsKeyConfig = NonNullable<KeysConfig["kms"]>[number];

/** The team and app a file is opened for (a deploy); absent for the `secrets` commands. */
export interface KeyScope {
  readonly team: string;
  readonly app: string;
}

type VaultRef = { readonly vault_address: string; readonly engine_path: string; readonly key_name: string };
type KmsRef = {
  readonly arn: string;
  readonly role?: string | undefined;
  readonly aws_profile?: string | undefined;
};

/** Refusal reason, or the listed key a Vault entry selects. */
export function selectVaultKey(allowed: readonly VaultKeyConfig[], ref: VaultRef): VaultKeyConfig | string {
  const origin = vaultOrigin(ref.vault_address);
  if (typeof origin === "string") return origin;
  const path = vaultPathProblem(ref.engine_path, ref.key_name);
  if (path) return path;
  const match = allowed.find(
    (k) =>
      (vaultOrigin(k.address) as { origin: string }).origin === origin.origin &&
      k.engine_path === ref.engine_path &&
      k.key_name === ref.key_name,
  );
  return (
    match ??
    `not a Vault key the operator allows; an operator adds { address: ${origin.origin}, engine_path: ${ref.engine_path}, key_name: ${ref.key_name} } under keys.vault in the platform file`
  );
}

/** Refusal reason, or the listed key (and checked ARN) a KMS entry selects, role and profile included. */
export function selectKmsKey(
  allowed: readonly KmsKeyConfig[],
  ref: KmsRef,
): { readonly key: KmsKeyConfig; readonly arn: KmsArn } | string {
  const arn = parseKmsArn(ref.arn);
  if (typeof arn === "string") return arn;
  const key = allowed.find((k) => k.arn === ref.arn);
  if (!key)
    return `not a KMS key the operator allows; an operator adds its ARN under keys.kms in the platform file`;
  if (ref.role && !(key.roles ?? []).includes(ref.role))
    return `role ${ref.role} is not one the operator allows for this key (keys.kms[].roles)`;
  if (ref.aws_profile && !(key.aws_profiles ?? []).includes(ref.aws_profile))
    return `AWS profile "${ref.aws_profile}" is not one the operator allows for this key (keys.kms[].aws_profiles)`;
  return { key, arn };
}

const forTeam = <T extends { readonly teams: readonly string[] }>(
  list: readonly T[] | undefined,
  team?: string,
) => (list ?? []).filter((k) => team === undefined || k.teams.includes(team));

/**
 * The keys in force for one scope (or, without a scope, every key the operator lists) and the
 * decision for each entry of a file. `declaredTeams` are the platform's teams: a platform shared
 * by two or more teams without `keys:` opens no file for a deploy, since nothing binds a file to
 * a team.
 */
export class KeyPolicy {
  readonly scope: KeyScope | undefined;
  readonly vault: readonly VaultKeyConfig[];
  readonly kms: readonly KmsKeyConfig[];
  /** age recipients and PGP fingerprints the scope may use; undefined: any local key. */
  readonly ageRecipients: ReadonlySet<string> | undefined;
  readonly pgpFingerprints: ReadonlySet<string> | undefined;
  readonly #sharedWithoutKeys: boolean;
  readonly #configured: boolean;

  constructor(
    config: KeysConfig | undefined,
    options: { scope?: KeyScope; declaredTeams?: readonly string[] } = {},
  ) {
    this.scope = options.scope;
    const team = options.scope?.team;
    this.#configured = config !== undefined;
    this.vault = forTeam(config?.vault, team);
    this.kms = forTeam(config?.kms, team);
    const scoped = config !== undefined && team !== undefined;
    this.ageRecipients = scoped ? new Set(forTeam(config.age, team).map((k) => k.recipient)) : undefined;
    this.pgpFingerprints = scoped
      ? new Set(forTeam(config.pgp, team).map((k) => k.fp.toLowerCase()))
      : undefined;
    this.#sharedWithoutKeys =
      !this.#configured && team !== undefined && (options.declaredTeams?.length ?? 0) > 1;
  }

  /** The encryption context a KMS-wrapped file must carry for this scope. */
  get kmsContext(): Readonly<Record<string, string>> | undefined {
    return this.scope ? { team: this.scope.team, app: this.scope.app } : undefined;
  }

  #where(kind: string): string {
    const team = this.scope?.team;
    return team === undefined
      ? `under keys.${kind} in the platform file`
      : `under keys.${kind} with teams: [${team}] in the platform file`;
  }

  /** Why a file's entry may not be used here, or undefined when it may. */
  admit(entry: KeyEntry): string | undefined {
    if (this.#sharedWithoutKeys)
      return `the platform is shared by several teams and lists no keys:, so no file is bound to team ${this.scope?.team}; an operator lists each team's keys under keys: in the platform file`;
    const team = this.scope?.team;
    switch (entry.type) {
      case "age":
        if (!this.ageRecipients || this.ageRecipients.has(entry.recipient)) return undefined;
        return `not a key of team ${team}; an operator adds it ${this.#where("age")} if it is`;
      case "pgp":
        if (!this.pgpFingerprints || this.pgpFingerprints.has(entry.fp.toLowerCase())) return undefined;
        return `not a key of team ${team}; an operator adds it ${this.#where("pgp")} if it is`;
      case "hc_vault": {
        const chosen = selectVaultKey(this.vault, entry);
        return typeof chosen === "string" ? this.#scoped(chosen, "vault") : undefined;
      }
      case "kms": {
        const chosen = selectKmsKey(this.kms, entry);
        if (typeof chosen === "string") return this.#scoped(chosen, "kms");
        return this.#contextProblem(entry.context ?? undefined);
      }
      default:
        return undefined;
    }
  }

  /** Why a master key may not wrap a new data key here (age and PGP wrap to public keys: always fine). */
  admitSpec(spec: MasterKeySpec): string | undefined {
    if (spec.type === "hc_vault") {
      const chosen = selectVaultKey(this.vault, spec);
      return typeof chosen === "string" ? this.#scoped(chosen, "vault") : undefined;
    }
    if (spec.type === "kms") {
      const chosen = selectKmsKey(this.kms, spec);
      return typeof chosen === "string" ? this.#scoped(chosen, "kms") : undefined;
    }
    return undefined;
  }

  /** A KMS spec with this scope's `{team, app}` added to its encryption context. */
  bind(spec: MasterKeySpec): MasterKeySpec {
    const context = this.kmsContext;
    return spec.type === "kms" && context ? { ...spec, context: { ...spec.context, ...context } } : spec;
  }

  #scoped(reason: string, kind: string): string {
    const team = this.scope?.team;
    if (team === undefined || !this.#configured) return reason;
    return reason.replace(`under keys.${kind} in the platform file`, this.#where(kind));
  }

  #contextProblem(context: Readonly<Record<string, string>> | undefined): string | undefined {
    const want = this.kmsContext;
    if (!want) return undefined;
    if (context?.team === want.team && context?.app === want.app) return undefined;
    const has = context ? `team=${context.team ?? "(none)"}, app=${context.app ?? "(none)"}` : "no context";
    return `its encryption context must hold team=${want.team} and app=${want.app} (it has ${has}); KMS binds a file to its app through it, so re-encrypt it for this app`;
  }
}
