/**
 * Parsing of `slipway.yaml` and `slipway.platform.yaml`: text in, validated data out, or one
 * `SlipwayError` that lists every problem with its position. Pure: no file system access here.
 */
import { ErrorCode, isSlipwayError, type Problem, SlipwayError } from "../core/errors.ts";
import { type AppBody, type AppSpec, appBody, appSpecSchema } from "./app-schema.ts";
import { keepLiteralText, lookupIn } from "./literals.ts";
import { isPlainMap, mergeOverride } from "./merge.ts";
import { platformRuleProblems } from "./platform-rules.ts";
import { type ChannelConfig, type Platform, platformSchema } from "./platform-schema.ts";
import { deepPartial } from "./schema-walk.ts";
import { closest } from "./suggest.ts";
import { validateValue } from "./validate.ts";
import { parseYamlSource, type YamlSource } from "./yaml-source.ts";

export const PREVIEW_ENVIRONMENT = "preview";
export const DEFAULT_CHANNELS = ["develop", "integration", "staging", "beta", "stable"] as const;

export interface LoadedApp {
  readonly spec: AppSpec;
  readonly source: YamlSource;
}

export interface LoadedPlatform {
  readonly platform: Platform;
  /** Absent for the built-in default platform. */
  readonly source?: YamlSource;
}

// The schema of an environment override or the platform's defaults, built on first use: building
// it walks the whole app schema (about 4 ms), and most apps and platforms have neither.
let overrides: ReturnType<typeof deepPartial> | undefined;
const overrideSchema = () => (overrides ??= deepPartial(appBody));

const appLookup = lookupIn(appSpecSchema, [
  {
    under: "environments",
    depth: 2,
    get schema() {
      return overrideSchema();
    },
  },
]);
const platformLookup = lookupIn(platformSchema, [
  {
    under: "defaults",
    depth: 1,
    get schema() {
      return overrideSchema();
    },
  },
]);

/** What `checkAppSpec` found: every problem, and the app as far as it could be read. */
export interface CheckedApp {
  readonly problems: readonly Problem[];
  /**
   * The app, valid when `problems` is empty. Otherwise, when possible, the app without the fields
   * that have problems, so that the renderer can still look for the problems it alone finds.
   */
  readonly app?: LoadedApp;
}

export function parseAppSpec(text: string, file: string, platform?: LoadedPlatform): LoadedApp {
  const { problems, app } = checkAppSpec(text, file, platform);
  fail(ErrorCode.SpecInvalid, file, problems);
  return app!;
}

/**
 * Every problem of the file at once: the schema, each override, the team, and each environment's
 * merged result. Only a YAML syntax error stops early, since then there is no document to check.
 */
export function checkAppSpec(text: string, file: string, platform?: LoadedPlatform): CheckedApp {
  const source = parseYamlSource(text, file);
  if (source.syntaxProblems.length > 0) return { problems: source.syntaxProblems };
  const raw = source.value;
  if (!isPlainMap(raw)) {
    return {
      problems: [
        {
          file,
          line: 1,
          column: 1,
          path: "",
          message: "must be a map with apiVersion: slipway.dev/v1 and kind: App",
          hint: "run `slipway init` for a starter file",
        },
      ],
    };
  }
  keepLiteralText(raw, source.literals, appLookup);
  const problems: Problem[] = [];
  const base = validateValue(appSpecSchema, raw, source);
  if (!base.ok) problems.push(...base.problems);

  const environments = isPlainMap(raw.environments) ? raw.environments : {};
  const known = platform ? environmentNames(platform.platform) : undefined;
  const validOverrides: string[] = [];
  for (const [name, override] of Object.entries(environments)) {
    if (known && !known.includes(name)) {
      const guess = closest(name, known);
      problems.push({
        file,
        ...source.positionOf(["environments", name], { key: true }),
        path: `environments.${name}`,
        message: `\`${name}\` is not a channel of this platform nor \`${PREVIEW_ENVIRONMENT}\``,
        hint: guess ? `did you mean \`${guess}\`?` : `known: ${known.join(", ")}`,
      });
    }
    if (override === null) continue;
    const partial = validateValue(overrideSchema(), override, source, { prefix: ["environments", name] });
    if (partial.ok) validOverrides.push(name);
    else problems.push(...partial.problems);
  }
  const teams = platform?.platform.teams?.map((t) => t.name);
  const registration = teamRegistration(platform?.platform.teams, raw);
  if (registration !== undefined) {
    problems.push({ file, ...source.positionOf(["team"]), path: "team", ...registration });
  } else if (teams?.length && typeof raw.team === "string" && !teams.includes(raw.team)) {
    const guess = closest(raw.team, teams);
    problems.push({
      file,
      ...source.positionOf(["team"]),
      path: "team",
      message: `team \`${raw.team}\` is not one of the platform's teams`,
      hint: guess ? `did you mean \`${guess}\`?` : `the platform's teams: ${teams.join(", ")}`,
    });
  }

  const spec = base.ok ? base.data : withoutBrokenFields(raw, base.problems, validOverrides);
  if (spec === undefined) return { problems: dedupe(problems) };
  const loaded: LoadedApp = { spec, source };
  // Rules across fields (a probe with one handler, limits above requests) are checked on every
  // merged result: the app over the platform's defaults, and each valid override over that.
  const withDefaults = platform?.platform.defaults ? [""] : [];
  for (const name of [...withDefaults, ...validOverrides]) {
    try {
      resolveAppSpec(loaded, platform, name);
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      problems.push(...error.problems);
    }
  }
  return { problems: dedupe(problems), app: loaded };
}

/** The app without each top-level field (or override) that has a problem, if that is valid. */
function withoutBrokenFields(
  raw: Record<string, unknown>,
  problems: readonly Problem[],
  validOverrides: readonly string[],
): AppSpec | undefined {
  const copy: Record<string, unknown> = { ...raw };
  for (const p of problems) delete copy[p.path.split(/[.[]/)[0] ?? ""];
  if (isPlainMap(raw.environments)) {
    copy.environments = Object.fromEntries(
      Object.entries(raw.environments).filter(([name]) => validOverrides.includes(name)),
    );
  }
  const result = appSpecSchema.safeParse(copy);
  return result.success ? result.data : undefined;
}

/**
 * The app as one environment sees it: platform defaults, then the app, then the environment's
 * override (`environments.<name>`), merged by the rules in `merge.ts` and validated again.
 */
export function resolveAppSpec(
  app: LoadedApp,
  platform: LoadedPlatform | undefined,
  environment: string,
): AppSpec {
  const { environments, ...body } = app.spec;
  const withDefaults = mergeOverride(platform?.platform.defaults ?? {}, body);
  const override = environments?.[environment] ?? undefined;
  const merged = mergeOverride(withDefaults, override ?? {});
  const result = validateValue(appSpecSchema, merged, app.source, {
    prefix: override ? ["environments", environment] : [],
    ...(platform?.source ? { fallback: { source: platform.source, prefix: ["defaults"] } } : {}),
  });
  if (!result.ok) {
    throw problemsError(
      ErrorCode.SpecInvalid,
      app.source.file,
      result.problems,
      environment ? `for environment \`${environment}\`` : "",
    );
  }
  return result.data;
}

export function parsePlatform(text: string, file: string): LoadedPlatform {
  const source = parseYamlSource(text, file);
  fail(ErrorCode.PlatformInvalid, file, source.syntaxProblems);
  const raw = source.value;
  keepLiteralText(raw, source.literals, platformLookup);
  if (!isPlainMap(raw)) {
    throw problemsError(ErrorCode.PlatformInvalid, file, [
      {
        file,
        line: 1,
        column: 1,
        path: "",
        message: "must be a map with apiVersion: slipway.dev/v1 and kind: Platform",
      },
    ]);
  }
  const result = validateValue(platformSchema, raw, source);
  const problems: Problem[] = result.ok ? [] : [...result.problems];
  if (isPlainMap(raw.defaults)) {
    const defaults = validateValue(overrideSchema(), raw.defaults, source, { prefix: ["defaults"] });
    if (!defaults.ok) problems.push(...defaults.problems);
  }
  if (!result.ok) throw problemsError(ErrorCode.PlatformInvalid, file, problems);
  const platform: Platform = {
    ...result.data,
    channels: result.data.channels ?? defaultChannels(result.data.clusters[0]!.name),
  };
  problems.push(...platformRuleProblems(platform, source));
  fail(ErrorCode.PlatformInvalid, file, problems);
  return { platform, source };
}

/** The platform used when none is given: five channels committed to a local GitOps directory. */
export function defaultPlatform(): LoadedPlatform {
  return {
    platform: {
      apiVersion: "slipway.dev/v1",
      kind: "Platform",
      clusters: [{ name: "local", gitops: { directory: ".slipway/gitops" } }],
      channels: defaultChannels("local").map((c) => ({ ...c, domain: `${c.name}.apps.localhost` })),
      previews: { cluster: "local", domain: "preview.apps.localhost", ttl: "72h" },
    },
  };
}

function defaultChannels(cluster: string): ChannelConfig[] {
  return DEFAULT_CHANNELS.map((name) => ({
    name,
    cluster,
    ...(name === "stable" ? { production: true } : {}),
  }));
}

export function environmentNames(platform: Platform): string[] {
  return [...platform.channels.map((c) => c.name), PREVIEW_ENVIRONMENT];
}

function fail(code: ErrorCode, file: string, problems: readonly Problem[], context = ""): void {
  if (problems.length > 0) throw problemsError(code, file, problems, context);
}

/** The same problem found through two merged results is reported once. */
export function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function problemsError(
  code: ErrorCode,
  file: string,
  problems: readonly Problem[],
  context = "",
): SlipwayError {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  const noun = problems.length === 1 ? "problem" : "problems";
  return new SlipwayError(code, `${file}: ${problems.length} ${noun}${context ? ` ${context}` : ""}`, {
    problems: sorted,
  });
}

export type { AppBody };

/**
 * The team an app belongs to is the operator's word, not the app's: when the platform file lists a
 * team's apps, a `team:` that disagrees is refused, so a repository cannot claim another team's
 * keys, namespaces or hosts by writing its name.
 */
function teamRegistration(
  teams: readonly { name: string; apps?: readonly string[] | undefined }[] | undefined,
  raw: Record<string, unknown>,
): { message: string; hint: string } | undefined {
  if (typeof raw.name !== "string" || typeof raw.team !== "string") return undefined;
  const app = raw.name;
  const claimed = raw.team;
  const owner = teams?.find((t) => t.apps?.includes(app));
  if (owner !== undefined) {
    if (owner.name === claimed) return undefined;
    return {
      message: `app \`${app}\` is registered to team \`${owner.name}\` in the platform file, not \`${claimed}\``,
      hint: `write team: ${owner.name}, or ask the platform team to move the app`,
    };
  }
  const team = teams?.find((t) => t.name === claimed);
  if (team?.apps === undefined) return undefined;
  return {
    message: `app \`${app}\` is not one of team \`${claimed}\`'s apps in the platform file (${team.apps.join(", ") || "none"})`,
    hint: `ask the platform team to add ${app} to team ${claimed}'s apps`,
  };
}
