/**
 * What `slipway check` does once its flags are parsed: read manifests (or render an app), resolve
 * the policy for the target, run the catalog and print the verdict. Apart from `check.ts` so that
 * `slipway check --help` loads none of the policy engine, schemas or parsers.
 */
import { resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { type KubeObject, objectRef } from "../../core/kube-object.ts";
import { builtinRules } from "../../policy/catalog.ts";
import { checkObjects } from "../../policy/check.ts";
import { type PolicyMode, policyModeSchema } from "../../policy/config.ts";
import { toSarif } from "../../policy/report/sarif.ts";
import { formatText } from "../../policy/report/text.ts";
import type { ResolvedPolicy } from "../../policy/settings.ts";
import { policyForTarget } from "../../policy/target-policy.ts";
import type { Rule } from "../../policy/types.ts";
import { requireKubeVersion } from "../../policy/upgrade/versions.ts";
import { splitDottedPath } from "../../policy/yaml-located.ts";
import { loadAppAndPlatform, loadPlatformFile } from "../../spec/files.ts";
import type { LoadedApp, LoadedPlatform } from "../../spec/parse.ts";
import type { CliIo } from "../io.ts";
import { readCustomRules, readManifestInputs } from "../manifest-input.ts";
import { json } from "../options.ts";
import type { CheckFormat, CheckOptions } from "./check.ts";

export async function runCheck(
  inputs: string[],
  opts: CheckOptions,
  format: CheckFormat,
  io: CliIo,
): Promise<void> {
  if (opts.listRules) {
    listRules(opts, format, io);
    return;
  }
  const mode = opts.mode === undefined ? undefined : parseMode(opts.mode);
  if (opts.kubeVersion !== undefined) requireKubeVersion(opts.kubeVersion, "--kube-version");
  const paths = [...(opts.file ?? []), ...inputs];
  if ((opts.app === undefined) === (paths.length === 0)) {
    throw new SlipwayError(
      ErrorCode.Input,
      "give manifests (-f <path>, a path, or - for stdin) or --app <dir> --target <t>, not both",
    );
  }
  const loaded =
    opts.app === undefined ? await fromManifests(paths, opts, io, format === "sarif") : await fromApp(opts);
  const customRules = loaded.platform ? readCustomRules(loaded.platform) : [];
  const policy = policyFor(loaded, opts, mode);
  const objects = loaded.objects.map((s) => s.object);
  const verdict = checkObjects({
    objects,
    policy,
    customRules,
    today: new Date().toISOString().slice(0, 10),
  });
  const rules: Rule[] = [...builtinRules, ...customRules];
  const sources = new Map<string, Loaded["objects"][number]>();
  for (const s of loaded.objects) if (s.file) sources.set(objectRef(s.object), s);
  if (format === "json") {
    io.out(json({ objects: objects.length, rules: rules.length, ...verdict }));
  } else if (format === "sarif") {
    io.out(
      json(
        toSarif(verdict, rules, (f) => {
          const s = sources.get(f.object);
          return s?.file ? { file: s.file, line: s.lineOf(splitDottedPath(f.path)) } : undefined;
        }),
      ),
    );
  } else {
    io.out(
      formatText(verdict, {
        objectCount: objects.length,
        rules,
        sourceOf: (ref) => {
          const s = sources.get(ref);
          return s?.file ? { file: s.file, line: s.line } : undefined;
        },
      }),
    );
  }
  if (!verdict.passed) io.setExitCode(1);
}

function listRules(opts: CheckOptions, format: string, io: CliIo): void {
  const platform =
    opts.platform === undefined ? undefined : loadPlatformFile(resolve(io.cwd, opts.platform), io.env);
  const rules = [...builtinRules, ...(platform ? readCustomRules(platform) : [])];
  if (format !== "text") {
    io.out(
      json(
        rules.map(({ id, title, severity, kinds, hint, source }) => ({
          id,
          title,
          severity,
          kinds,
          hint,
          source: source ?? "built-in",
        })),
      ),
    );
    return;
  }
  const width = Math.max(...rules.map((r) => r.id.length));
  const lines = rules.map(
    (r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}${r.source ? `  (${r.source})` : ""}\n`,
  );
  io.out(lines.join(""));
}

function parseMode(value: string): PolicyMode {
  const parsed = policyModeSchema.safeParse(value);
  if (!parsed.success)
    throw new SlipwayError(ErrorCode.Input, `--mode ${value} is not supported; use enforce or warn`);
  return parsed.data;
}

interface Loaded {
  objects: {
    object: KubeObject;
    file?: string;
    line: number;
    lineOf(path: readonly (string | number)[]): number;
  }[];
  platform?: LoadedPlatform;
  app?: LoadedApp;
  channelName?: string;
  preview?: string;
}

async function fromManifests(
  paths: string[],
  opts: CheckOptions,
  io: CliIo,
  keepPositions: boolean,
): Promise<Loaded> {
  // SARIF gives every finding its line: keep the parse's positions rather than parse again.
  const objects = await readManifestInputs(paths, io, { keepPositions });
  // A platform file matters for manifests only when asked for, or when a channel is named.
  const platform =
    opts.platform !== undefined || opts.channel !== undefined
      ? loadPlatformFile(opts.platform === undefined ? undefined : resolve(io.cwd, opts.platform), io.env)
      : undefined;
  return {
    objects: [...objects],
    ...(platform ? { platform } : {}),
    ...(opts.channel === undefined ? {} : { channelName: opts.channel }),
  };
}

async function fromApp(opts: CheckOptions): Promise<Loaded> {
  if (opts.target === undefined)
    throw new SlipwayError(ErrorCode.Input, "--app needs --target <channel|preview:branch>");
  const { app, platform } = loadAppAndPlatform(opts.app as string, opts.platform);
  // Loaded on demand: the renderer and its Kubernetes schemas cost more start-up time than the
  // whole policy engine, and checking manifests does not need them.
  const { render } = await import("../../render/render.ts");
  const result = render({ app, platform, target: opts.target, ...(opts.image ? { image: opts.image } : {}) });
  const preview = result.target.kind === "preview" ? result.target.name : undefined;
  return {
    objects: result.objects.map((object) => ({ object, line: 0, lineOf: () => 0 })),
    platform,
    app,
    ...(preview === undefined ? { channelName: opts.target } : { preview }),
  };
}

/** Channel, production-ness, mode, labels and version: flags first, then the platform file. */
function policyFor(loaded: Loaded, opts: CheckOptions, mode: PolicyMode | undefined): ResolvedPolicy {
  const target =
    loaded.preview !== undefined
      ? ({ kind: "preview", name: loaded.preview } as const)
      : loaded.channelName !== undefined
        ? ({ kind: "channel", name: loaded.channelName } as const)
        : undefined;
  const resolved = policyForTarget(loaded.platform?.platform, target, loaded.app?.spec, {
    ...(mode === undefined ? {} : { mode }),
    ...(opts.production ? { production: true } : {}),
    ...(opts.kubeVersion === undefined ? {} : { kubernetesVersion: opts.kubeVersion }),
    ...(opts.requiredLabel === undefined ? {} : { requiredLabels: opts.requiredLabel }),
  });
  if ("unknownChannel" in resolved) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--channel ${resolved.unknownChannel} is not a channel of the platform (one of: ${resolved.known.join(", ")})`,
    );
  }
  return resolved;
}
