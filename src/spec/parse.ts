/**
 * Parsing of `slipway.yaml` and `slipway.platform.yaml`: text in, validated data out, or one
 * `SlipwayError` that lists every problem with its position. Pure: no file system access here.
 */
import { ErrorCode, type Problem, SlipwayError } from "../core/errors.ts";
import { type AppBody, type AppSpec, appBody, appSpecSchema } from "./app-schema.ts";
import { isPlainMap, mergeOverride } from "./merge.ts";
import { type ChannelConfig, type Platform, platformSchema } from "./platform-schema.ts";
import { deepPartial } from "./schema-walk.ts";
import { closest } from "./suggest.ts";
import { validateValue } from "./validate.ts";
import { formatPath, parseYamlSource, type YamlSource } from "./yaml-source.ts";

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

export const overrideSchema = deepPartial(appBody);

export function parseAppSpec(text: string, file: string, platform?: LoadedPlatform): LoadedApp {
  const source = parseYamlSource(text, file);
  fail(ErrorCode.SpecInvalid, file, source.syntaxProblems);
  const raw = source.value;
  if (!isPlainMap(raw)) {
    throw problemsError(ErrorCode.SpecInvalid, file, [
      {
        file,
        line: 1,
        column: 1,
        path: "",
        message: "must be a map with apiVersion: slipway.dev/v1 and kind: App",
        hint: "run `slipway init` for a starter file",
      },
    ]);
  }
  const problems: Problem[] = [];
  const base = validateValue(appSpecSchema, raw, source);
  if (!base.ok) problems.push(...base.problems);

  const environments = isPlainMap(raw.environments) ? raw.environments : {};
  const known = platform ? environmentNames(platform.platform) : undefined;
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
    const partial = validateValue(overrideSchema, override, source, { prefix: ["environments", name] });
    if (!partial.ok) problems.push(...partial.problems);
  }
  fail(ErrorCode.SpecInvalid, file, problems);

  const loaded: LoadedApp = { spec: base.ok ? base.data : (raw as AppSpec), source };
  // Cross-field rules (e.g. a probe with exactly one handler) are checked on every merged result.
  for (const name of Object.keys(environments)) resolveAppSpec(loaded, platform, name);
  return loaded;
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
      `for environment \`${environment}\``,
    );
  }
  return result.data;
}

export function parsePlatform(text: string, file: string): LoadedPlatform {
  const source = parseYamlSource(text, file);
  fail(ErrorCode.PlatformInvalid, file, source.syntaxProblems);
  const raw = source.value;
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
  if (!result.ok) throw problemsError(ErrorCode.PlatformInvalid, file, result.problems);
  const platform: Platform = {
    ...result.data,
    channels: result.data.channels ?? defaultChannels(result.data.clusters[0]!.name),
  };
  const problems: Problem[] = [];
  const clusterNames = platform.clusters.map((c) => c.name);
  const checkCluster = (name: string, path: (string | number)[]) => {
    if (clusterNames.includes(name)) return;
    const guess = closest(name, clusterNames);
    problems.push({
      file,
      ...source.positionOf(path),
      path: formatPath(path),
      message: `cluster \`${name}\` is not defined under clusters`,
      hint: guess ? `did you mean \`${guess}\`?` : `defined: ${clusterNames.join(", ")}`,
    });
  };
  const seen = new Set<string>();
  platform.channels.forEach((channel, i) => {
    checkCluster(channel.cluster, ["channels", i, "cluster"]);
    if (seen.has(channel.name) || channel.name === PREVIEW_ENVIRONMENT) {
      problems.push({
        file,
        ...source.positionOf(["channels", i, "name"]),
        path: `channels[${i}].name`,
        message:
          channel.name === PREVIEW_ENVIRONMENT
            ? "`preview` is reserved for preview environments"
            : `channel \`${channel.name}\` is defined twice`,
        hint: "give each channel a unique name",
      });
    }
    seen.add(channel.name);
  });
  if (platform.previews) checkCluster(platform.previews.cluster, ["previews", "cluster"]);
  if (platform.defaults) {
    const defaults = validateValue(overrideSchema, platform.defaults, source, { prefix: ["defaults"] });
    if (!defaults.ok) problems.push(...defaults.problems);
  }
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

function problemsError(
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
