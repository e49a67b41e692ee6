/**
 * `slipway upgrade-check --to <version>`: which objects use an API version the target Kubernetes
 * version deprecates or no longer serves, with the replacement and the removal release. Objects
 * come from manifests (files, directories, stdin) or from an app rendered for every channel.
 * Exit 1 when something is removed at the target, 0 when only deprecations remain.
 */
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { KubeObject } from "../../core/kube-object.ts";
import type { DeprecatedUse } from "../../policy/upgrade/deprecations.ts";
import type { SkewReport } from "../../policy/upgrade/skew.ts";
import type { CliIo } from "../io.ts";
import { json, parseOutput } from "../options.ts";

const formats = ["text", "json"] as const;

export function registerUpgradeCheck(program: Command, io: CliIo): void {
  program
    .command("upgrade-check")
    .description("List objects whose API version a target Kubernetes version deprecates or removes.")
    .requiredOption("--to <version>", "target Kubernetes version, e.g. 1.32")
    .argument("[inputs...]", "manifest files or directories; - reads stdin")
    .option(
      "-f, --file <path>",
      "manifest file or directory (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option("--app <dir>", "render this app for every channel of the platform and check the result")
    .option("--platform <file>", "platform file (with --app)")
    .option(
      "--cluster",
      "also check the live cluster: every node's kubelet against the control plane, now and after --to",
    )
    .option("--context <name>", "kubeconfig context of the live cluster (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("--output <format>", "text or json", "text")
    .action(
      async (
        inputs: string[],
        opts: {
          to: string;
          file: string[];
          app?: string;
          platform?: string;
          output?: string;
          cluster?: boolean;
          context?: string;
          kubeconfig?: string;
        },
      ) => {
        const format = parseOutput(opts.output, formats, "text");
        // Loaded when the command runs: `--help` does not pay for the API tables and manifest reading.
        const [
          { tableCheckedThrough },
          { deprecatedUses },
          { formatMinor, requireKubeVersion },
          { readManifestInputs },
        ] = await Promise.all([
          import("../../policy/upgrade/api-lifecycle.ts"),
          import("../../policy/upgrade/deprecations.ts"),
          import("../../policy/upgrade/versions.ts"),
          import("../manifest-input.ts"),
        ]);
        const target = requireKubeVersion(opts.to, "--to");
        const paths = [...opts.file, ...inputs];
        const live = opts.cluster === true || opts.context !== undefined || opts.kubeconfig !== undefined;
        if (live && opts.app === undefined && paths.length === 0) {
          const report = await liveSkew(opts, opts.to);
          if (format === "json") io.out(json({ target: formatMinor(target), skew: report }));
          else io.out(formatSkew(report));
          if (!report.ok) io.setExitCode(1);
          return;
        }
        if ((opts.app === undefined) === (paths.length === 0)) {
          throw new SlipwayError(
            ErrorCode.Input,
            "give manifests (-f <path>, a path, or - for stdin) or --app <dir>, not both (and/or --cluster)",
          );
        }
        const skew = live ? await liveSkew(opts, opts.to) : undefined;
        const objects: KubeObject[] =
          opts.app === undefined
            ? (await readManifestInputs(paths, io)).map((s) => s.object)
            : await renderAllChannels(opts.app, opts.platform);
        const uses = dedupe(deprecatedUses(objects, target));
        const removed = uses.filter((u) => u.status === "removed").length;
        if (format === "json") {
          io.out(
            json({
              target: formatMinor(target),
              tableCheckedThrough,
              objects: objects.length,
              removed,
              deprecated: uses.length - removed,
              uses,
              ...(skew ? { skew } : {}),
            }),
          );
        } else {
          io.out(formatUses(uses, formatMinor(target), objects.length, tableCheckedThrough));
          if (skew) io.out(formatSkew(skew));
        }
        if (removed > 0 || (skew && !skew.ok)) io.setExitCode(1);
      },
    );
}

/** Node and control-plane versions of the live cluster, judged for now and for the target version. */
async function liveSkew(opts: { context?: string; kubeconfig?: string }, to: string): Promise<SkewReport> {
  // Loaded on demand: the Kubernetes client is needed only for a live cluster.
  const [{ KubeCluster }, { skewOf }] = await Promise.all([
    import("../../cluster/kube-cluster.ts"),
    import("../../policy/upgrade/skew.ts"),
  ]);
  const cluster = await KubeCluster.connect({
    ...(opts.context === undefined ? {} : { context: opts.context }),
    ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
  });
  return skewOf(cluster, { target: to });
}

function formatSkew(report: SkewReport): string {
  const lines = report.nodes.map((n) => {
    const mark =
      n.status === "current" && !n.blocksTarget ? "✔" : n.status === "behind" && !n.blocksTarget ? "⚠" : "✖";
    return `${mark} node ${n.name}  kubelet ${n.kubeletVersion}: ${n.message}`;
  });
  const behind = report.nodes.filter((n) => n.status !== "current").length;
  lines.push(
    `control plane ${report.serverVersion}, ${report.nodes.length} nodes: ${behind} not on the control plane's version; ${report.ok ? "within the supported skew" : "outside the supported skew"}${report.target ? ` after an upgrade to ${report.target}` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

async function renderAllChannels(appDir: string, platformFile: string | undefined): Promise<KubeObject[]> {
  // Loaded on demand: only --app needs the renderer and its schemas.
  const [{ render }, { loadAppAndPlatform }] = await Promise.all([
    import("../../render/render.ts"),
    import("../../spec/files.ts"),
  ]);
  const { app, platform } = loadAppAndPlatform(appDir, platformFile);
  return platform.platform.channels.flatMap((c) => render({ app, platform, target: c.name }).objects);
}

/** Rendering every channel repeats objects; one line per (object, apiVersion) is enough. */
function dedupe(uses: DeprecatedUse[]): DeprecatedUse[] {
  const seen = new Set<string>();
  return uses.filter((u) => {
    const key = `${u.object} ${u.apiVersion}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function formatUses(
  uses: readonly DeprecatedUse[],
  target: string,
  count: number,
  tableCheckedThrough: string,
): string {
  const lines = uses.map((u) => {
    const when =
      u.status === "removed"
        ? `removed in ${u.removedIn}`
        : `deprecated since ${u.deprecatedIn}${u.removedIn ? `, removed in ${u.removedIn}` : ""}`;
    return `${u.status === "removed" ? "✖ removed   " : "⚠ deprecated"} ${u.object}  ${u.apiVersion} ${when}; use ${u.replacement}`;
  });
  const removed = uses.filter((u) => u.status === "removed").length;
  lines.push(
    `${count} objects checked against Kubernetes ${target}: ${removed} on removed APIs, ${uses.length - removed} on deprecated APIs (table checked through ${tableCheckedThrough})`,
  );
  return `${lines.join("\n")}\n`;
}
