/**
 * One app cannot land in another's namespace or take another's host: preview branches map to
 * names one to one, default namespaces never collide, and hosts outside `<app>.<domain>` need a
 * grant from the platform file.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { SlipwayError } from "../core/errors.ts";
import { type LoadedPlatform, parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { branchLabel } from "./names.ts";
import { render } from "./render.ts";
import { resolveTarget } from "./target.ts";

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: staging, cluster: local, domain: staging.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true }
previews: { cluster: local, domain: preview.example.com }
`;
const platform = parsePlatform(PLATFORM, "slipway.platform.yaml");

function app(name: string, team: string, body = "", on: LoadedPlatform = platform) {
  return parseAppSpec(
    `apiVersion: slipway.dev/v1\nkind: App\nname: ${name}\nteam: ${team}\nimage: { repository: registry.example.com/${name}, tag: "1" }\nports: [{ name: http, port: 8080 }]\n${body}`,
    `${name}/slipway.yaml`,
    on,
  );
}

test("preview branches that differ get different namespaces and hosts", () => {
  const cart = app("cart", "commerce");
  const names = ["feature/über", "feature/ber", "feature-ber", "Feature-ber", "feature--ber"].map(
    (branch) => render({ app: cart, platform, target: `preview:${branch}` }).target,
  );
  assert.equal(
    new Set(names.map((t) => t.namespace)).size,
    names.length,
    names.map((t) => t.namespace).join(" "),
  );
  assert.equal(new Set(names.map((t) => t.defaultHost)).size, names.length);
  assert.equal(new Set(names.map((t) => t.name)).size, names.length);
  assert.equal(names[2]?.namespace, "cart-pr-feature-ber", "a branch that is a DNS label is its own name");
  assert.match(names[0]?.namespace ?? "", /^cart-pr-feature-ber--[0-9a-f]{8}$/);
});

test("a branch with no letter or digit is refused by name", () => {
  for (const branch of ["---", "/", "ü"]) {
    assert.throws(
      () => render({ app: app("cart", "commerce"), platform, target: `preview:${branch}` }),
      (e: SlipwayError) =>
        e.code === "SLIPWAY_E_INPUT" && e.message.includes(`branch \`${branch}\` has no letter or digit`),
    );
  }
});

test("branch labels are one to one and DNS labels within their length", () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-zA-Z0-9/_.ü-]{1,70}$/), { minLength: 2, maxLength: 6 }),
      fc.integer({ min: 19, max: 58 }),
      (branches, max) => {
        const distinct = [...new Set(branches)];
        const labels = distinct.map((b) => branchLabel(b, max)).filter((l) => l !== undefined);
        for (const label of labels) {
          assert.ok(label.length <= max, label);
          assert.match(label, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        }
        const named = distinct.filter((b) => branchLabel(b, max) !== undefined);
        assert.equal(new Set(labels).size, named.length, `${named.join(" | ")} → ${labels.join(" | ")}`);
      },
    ),
    { numRuns: 300 },
  );
});

test("default namespaces never collide: app cart-pr cannot exist, so no channel meets cart's previews", () => {
  assert.throws(
    () => app("cart-pr", "commerce"),
    (e: SlipwayError) => /may not hold `-pr-` nor end in `-pr`/.test(e.problems[0]?.message ?? ""),
  );
  const preview = resolveTarget("preview:staging", platform.platform, { name: "cart", team: "commerce" });
  assert.equal(preview.namespace, "cart-pr-staging");
  // Every (app, target) pair over a small alphabet of valid names gets its own namespace.
  const apps = ["a", "a-b", "b", "a-p", "pr", "b-pr-x", "x-pr"].filter(
    (n) => !n.includes("-pr-") && !n.endsWith("-pr"),
  );
  const targets = [
    "develop",
    "staging",
    "stable",
    "preview:staging",
    "preview:b",
    "preview:x-staging",
    "preview:pr",
  ];
  const seen = new Map<string, string>();
  for (const name of apps) {
    for (const target of targets) {
      const { namespace } = resolveTarget(target, platform.platform, { name, team: "t" });
      const who = `${name} in ${target}`;
      assert.equal(seen.get(namespace), undefined, `${namespace}: ${seen.get(namespace)} and ${who}`);
      seen.set(namespace, who);
    }
  }
});

test("channels whose default namespaces could meet are refused by the platform rules", () => {
  const withChannels = (channels: string) =>
    PLATFORM.replace(/channels:\n( {2}- .*\n)+/, `channels:\n${channels}`);
  assert.throws(
    () =>
      parsePlatform(
        withChannels("  - { name: staging, cluster: local }\n  - { name: eu-staging, cluster: local }\n"),
        "p.yaml",
      ),
    (e: SlipwayError) => /channel `eu-staging` ends in `-staging`/.test(JSON.stringify(e.problems)),
  );
  assert.throws(
    () => parsePlatform(withChannels("  - { name: pr-east, cluster: local }\n"), "p.yaml"),
    (e: SlipwayError) => /may not start with `pr-`/.test(JSON.stringify(e.problems)),
  );
  // With a pattern of its own the channel is the platform team's choice.
  parsePlatform(
    withChannels(
      "  - { name: staging, cluster: local }\n  - { name: eu-staging, cluster: local, namespace: 'eu-{app}' }\n",
    ),
    "p.yaml",
  );
});

function hostProblems(appName: string, team: string, hosts: string[], on: LoadedPlatform = platform) {
  const loaded = app(appName, team, `routes:\n${hosts.map((h) => `  - host: "${h}"\n`).join("")}`, on);
  try {
    render({ app: loaded, platform: on, target: "staging" });
    return [];
  } catch (error) {
    return (error as SlipwayError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

test("an app routes its own host under the channel's domain and names under it, and no other", () => {
  assert.deepEqual(
    hostProblems("cart", "commerce", ["cart.staging.example.com", "api.cart.staging.example.com"]),
    [],
  );
  const refused = hostProblems("cart", "commerce", [
    "*.example.com",
    "checkout.staging.example.com",
    "shop.example.com",
  ]);
  assert.equal(refused.length, 3, refused.join("\n"));
  assert.match(
    refused[0]!,
    /^routes\[0\]\.host: wildcard host `\*\.example\.com` needs a grant in the platform file/,
  );
  assert.match(
    refused[1]!,
    /^routes\[1\]\.host: host `checkout\.staging\.example\.com` is not this app's: under staging\.example\.com it may route cart\.staging\.example\.com/,
  );
  assert.match(refused[2]!, /routing\.hosts \(host: shop\.example\.com, team: commerce, apps: \[cart\]\)/);
});

test("the platform file grants other hosts and wildcards to a team or some of its apps", () => {
  const granted = parsePlatform(
    `${PLATFORM}teams: [{ name: commerce }, { name: finance }]
routing:
  hosts:
    - { host: shop.example.com, team: commerce, apps: [cart] }
    - { host: "*.pay.example.com", team: finance }
`,
    "slipway.platform.yaml",
  );
  assert.deepEqual(hostProblems("cart", "commerce", ["shop.example.com"], granted), []);
  assert.deepEqual(
    hostProblems("ledger", "finance", ["*.pay.example.com", "eu.pay.example.com"], granted),
    [],
  );
  const [taken] = hostProblems("checkout", "commerce", ["shop.example.com"], granted);
  assert.match(
    taken!,
    /host `shop\.example\.com` is granted to app cart of team commerce \(routing\.hosts\[0\]/,
  );
  const [wild] = hostProblems("cart", "commerce", ["*.pay.example.com"], granted);
  assert.match(wild!, /granted to team finance/);
  assert.throws(
    () =>
      parsePlatform(
        `${PLATFORM}routing:\n  hosts:\n    - { host: a.example.com, team: x }\n    - { host: a.example.com, team: y }\n`,
        "p.yaml",
      ),
    (e: SlipwayError) => /granted twice/.test(JSON.stringify(e.problems)),
  );
});

test("an app in an outer channel cannot route names of a channel whose domain lies inside its own", () => {
  // stable is example.com, staging is staging.example.com: an app named `staging` in stable
  // would own staging.example.com and every name under it, which are staging's apps' hosts.
  const loaded = app("staging", "commerce", 'routes:\n  - host: "cart.staging.example.com"\n');
  const problems = (() => {
    try {
      render({ app: loaded, platform, target: "stable" });
      return [];
    } catch (error) {
      return (error as SlipwayError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  })();
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0]!,
    /^routes\[0\]\.host: host `cart\.staging\.example\.com` is under staging\.example\.com, the domain of channel staging/,
  );
  // Its default host would be staging.example.com itself, the apex of staging's domain.
  const bare = app("preview", "commerce", "routes:\n  - paths: [/]\n");
  assert.throws(
    () => render({ app: bare, platform, target: "stable" }),
    (e: SlipwayError) =>
      e.problems.some((p) =>
        /host `preview\.example\.com` is under preview\.example\.com, the domain of previews/.test(p.message),
      ),
  );
  // The same apps in their own channels, and previews' default hosts, are untouched.
  render({ app: app("cart", "commerce", "routes:\n  - paths: [/]\n"), platform, target: "staging" });
  render({
    app: app("cart", "commerce", "routes:\n  - paths: [/]\n"),
    platform,
    target: "preview:feature-x",
  });
});
