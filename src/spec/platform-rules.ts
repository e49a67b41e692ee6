/**
 * Rules of the platform file that span fields: every channel's cluster exists, channel names are
 * unique, default namespaces cannot collide, and each granted host has one owner.
 */
import type { Problem } from "../core/errors.ts";
import type { Platform } from "./platform-schema.ts";
import { closest } from "./suggest.ts";
import { type FieldPath, formatPath, type YamlSource } from "./yaml-source.ts";

const PREVIEW = "preview";

export function platformRuleProblems(platform: Platform, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: FieldPath, message: string, hint: string) =>
    problems.push({ file: source.file, ...source.positionOf(path), path: formatPath(path), message, hint });

  const clusterNames = platform.clusters.map((c) => c.name);
  const checkCluster = (name: string, path: FieldPath) => {
    if (clusterNames.includes(name)) return;
    const guess = closest(name, clusterNames);
    at(
      path,
      `cluster \`${name}\` is not defined under clusters`,
      guess ? `did you mean \`${guess}\`?` : `defined: ${clusterNames.join(", ")}`,
    );
  };

  const seen = new Set<string>();
  platform.channels.forEach((channel, i) => {
    checkCluster(channel.cluster, ["channels", i, "cluster"]);
    if (seen.has(channel.name) || channel.name === PREVIEW) {
      at(
        ["channels", i, "name"],
        channel.name === PREVIEW
          ? "`preview` is reserved for preview environments"
          : `channel \`${channel.name}\` is defined twice`,
        "give each channel a unique name",
      );
    }
    seen.add(channel.name);
    // `-pr-` marks a preview in default namespaces ({app}-pr-{branch}); `{app}-{channel}` must not hold it.
    if (
      channel.namespace === undefined &&
      (channel.name.startsWith("pr-") || channel.name.includes("-pr-"))
    ) {
      at(
        ["channels", i, "name"],
        "channel names may not start with `pr-` nor hold `-pr-`: that marks preview namespaces",
        "rename the channel, or give it a namespace pattern",
      );
    }
  });

  // `{app}-{channel}` names one namespace per app and channel only if no channel name ends in
  // `-<another channel>`: app `cart-eu` in `staging` and app `cart` in `eu-staging` would share one.
  const byDefault = platform.channels.filter((c) => c.namespace === undefined);
  platform.channels.forEach((channel, i) => {
    if (channel.namespace !== undefined) return;
    const shorter = byDefault.find((other) => channel.name.endsWith(`-${other.name}`));
    if (shorter) {
      at(
        ["channels", i, "name"],
        `channel \`${channel.name}\` ends in \`-${shorter.name}\`, so the default namespace {app}-{channel} of one app here equals another app's in \`${shorter.name}\``,
        "rename the channel, or give it a namespace pattern",
      );
    }
  });

  if (platform.previews) checkCluster(platform.previews.cluster, ["previews", "cluster"]);

  const production = platform.dora?.productionChannel;
  if (production !== undefined && !seen.has(production)) {
    const guess = closest(production, [...seen]);
    at(
      ["dora", "productionChannel"],
      `channel \`${production}\` is not one of the channels`,
      guess ? `did you mean \`${guess}\`?` : `the channels: ${[...seen].join(", ")}`,
    );
  }

  const owners = new Map<string, number>();
  (platform.routing?.hosts ?? []).forEach((grant, i) => {
    const first = owners.get(grant.host);
    if (first !== undefined) {
      at(
        ["routing", "hosts", i, "host"],
        `host \`${grant.host}\` is granted twice (first at routing.hosts[${first}])`,
        "grant each host once; list several apps under `apps`",
      );
    } else owners.set(grant.host, i);
    const teams = platform.teams?.map((t) => t.name);
    if (teams?.length && !teams.includes(grant.team)) {
      const guess = closest(grant.team, teams);
      at(
        ["routing", "hosts", i, "team"],
        `team \`${grant.team}\` is not one of the teams`,
        guess ? `did you mean \`${guess}\`?` : `the teams: ${teams.join(", ")}`,
      );
    }
  });
  return problems;
}
