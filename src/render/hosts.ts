/**
 * Which hosts an app may route. By default only its own name under the target's domain,
 * `<app>.<domain>`, and names under that: no app can take another app's host, and none can take a
 * whole domain with a wildcard. Any other host, and every wildcard, is granted by the platform file
 * (`routing.hosts`: host, team, and optionally the apps of that team).
 */
import type { RenderContext } from "./context.ts";

/** Why the app may not route `host`, with what to do; `undefined` when it may. */
export function hostRefusal(ctx: RenderContext, host: string): string | undefined {
  const { name: app, team } = ctx.spec;
  const grants = (ctx.platform.routing?.hosts ?? []).map((grant, index) => ({ ...grant, index }));
  const covering = grants.filter((g) => covers(g.host, host));
  if (covering.some((g) => g.team === team && (g.apps === undefined || g.apps.includes(app))))
    return undefined;
  const owner = covering[0];
  if (owner) {
    const who = owner.apps ? `app ${owner.apps.join(", ")} of team ${owner.team}` : `team ${owner.team}`;
    return `host \`${host}\` is granted to ${who} (routing.hosts[${owner.index}] of the platform file), not to app ${app} of team ${team}`;
  }
  const grantHint = `ask the platform team to grant it under routing.hosts (host: ${host}, team: ${team}, apps: [${app}])`;
  if (host.startsWith("*."))
    return `wildcard host \`${host}\` needs a grant in the platform file; ${grantHint}`;
  const domain = ctx.target.domain;
  if (domain) {
    const own = `${app}.${domain}`;
    const inner = innerDomain(ctx, host, domain);
    if (inner !== undefined) {
      return `host \`${host}\` is under ${inner.domain}, the domain of ${inner.owner}: an app of ${ctx.target.name} may not route names there (rename the app, or ${grantHint})`;
    }
    if (host === own || host.endsWith(`.${own}`) || host === ctx.target.defaultHost) return undefined;
    return `host \`${host}\` is not this app's: under ${domain} it may route ${own} and names under it; for any other host ${grantHint}`;
  }
  return `host \`${host}\` needs a grant: target ${ctx.target.name} has no domain in the platform file; ${grantHint}`;
}

/**
 * Another of the platform's domains that lies inside this target's and holds `host`: with stable on
 * example.com and staging on staging.example.com, an app named `staging` in stable would otherwise
 * own every host of every app in staging. The names under a more specific domain are that
 * domain's, whichever app's own name they fall under.
 */
function innerDomain(
  ctx: RenderContext,
  host: string,
  domain: string,
): { domain: string; owner: string } | undefined {
  const domains = [
    ...ctx.platform.channels.map((c) => ({ domain: c.domain, owner: `channel ${c.name}` })),
    { domain: ctx.platform.previews?.domain, owner: "previews" },
  ];
  for (const d of domains) {
    if (d.domain === undefined || d.domain === domain || !d.domain.endsWith(`.${domain}`)) continue;
    if (host === d.domain || host.endsWith(`.${d.domain}`)) return { domain: d.domain, owner: d.owner };
  }
  return undefined;
}

/** A grant of `a.example.com` covers that host; `*.example.com` covers the wildcard and all names under example.com. */
function covers(grant: string, host: string): boolean {
  if (grant === host) return true;
  return grant.startsWith("*.") && host.endsWith(grant.slice(1));
}
