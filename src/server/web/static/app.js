// The status page's script. It speaks only the HTTP API, with the token the user pasted, which it
// keeps in sessionStorage (this tab only; never a URL or a cookie). Without a token it asks the
// API for nothing but health. Every string from the server goes into the page as text
// (textContent), never as HTML; the page's CSP makes the browser refuse HTML strings anyway.

const tokenKey = "slipway.token";
const byId = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, token) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.message ?? `${path} answered ${response.status}`);
  }
  return body;
}

/** An element with its text (never parsed as HTML) and an optional class. */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function table(headings, rows) {
  const head = el("tr");
  head.append(...headings.map((h) => el("th", h)));
  const t = el("table");
  t.append(el("thead"), el("tbody"));
  t.tHead.append(head);
  for (const cells of rows) {
    const tr = el("tr");
    tr.append(...cells);
    t.tBodies[0].append(tr);
  }
  return t;
}

// As `slipway releases` shows them: ids whole (they are what commands take), the rest shortened.
const shortDigest = (digest) => `${digest.slice(0, 19)}…`;
const shortCommit = (sha) => sha.slice(0, 12);

function age(timestamp) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(timestamp)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

function timeCell(timestamp) {
  const cell = el("td", age(timestamp));
  cell.title = timestamp;
  return cell;
}

/** A deployment status's colour; a status this page does not know yet is shown uncoloured. */
const tone = {
  available: "tone-ok",
  failed: "tone-bad",
  "rolled-back": "tone-bad",
  pending: "tone-busy",
  rendering: "tone-busy",
  applying: "tone-busy",
  progressing: "tone-busy",
  superseded: "tone-past",
};

/** One app's releases and, per target, its latest deployment with the release it runs. */
async function loadApp(app, channels, token) {
  const base = `/api/v1/apps/${encodeURIComponent(app.name)}`;
  const [releases, deployments] = await Promise.all([
    api(`${base}/releases?limit=5`, token),
    api(`${base}/deployments?limit=200`, token),
  ]);
  const latest = new Map();
  for (const d of deployments.items) if (!latest.has(d.targetName)) latest.set(d.targetName, d);
  if (deployments.nextCursor !== null) {
    // A long history: a channel's last deployment may be further back than one page.
    for (const channel of channels.filter((c) => !latest.has(c))) {
      const page = await api(`${base}/deployments?target=${encodeURIComponent(channel)}&limit=1`, token);
      if (page.items[0] !== undefined) latest.set(channel, page.items[0]);
    }
  }
  const releaseById = new Map(releases.items.map((r) => [r.id, r]));
  for (const d of latest.values()) {
    if (!releaseById.has(d.releaseId)) {
      releaseById.set(d.releaseId, await api(`/api/v1/releases/${encodeURIComponent(d.releaseId)}`, token));
    }
  }
  return { app, releases: releases.items, latest, releaseById };
}

function appSection({ app, releases, latest, releaseById }, channels) {
  const section = el("section", undefined, "app");
  section.dataset.app = app.name;
  section.append(el("h2", app.name), el("p", `team ${app.teamName}`, "muted"));
  if (app.description !== "") section.append(el("p", app.description, "description"));

  // Every channel, then any preview this app was deployed to.
  const targets = [...channels, ...[...latest.keys()].filter((t) => !channels.includes(t))];
  const matrix = targets.map((target) => {
    const d = latest.get(target);
    if (d === undefined) {
      const none = el("td", "not deployed", "muted");
      none.colSpan = 5;
      return [el("td", target), none];
    }
    const r = releaseById.get(d.releaseId);
    const status = el("td", d.status, Object.hasOwn(tone, d.status) ? tone[d.status] : undefined);
    return [
      el("td", target),
      el("td", d.releaseId, "mono"),
      el("td", r === undefined ? "" : shortDigest(r.imageDigest), "mono"),
      el("td", r === undefined ? "" : shortCommit(r.commitSha), "mono"),
      status,
      timeCell(d.startedAt),
    ];
  });
  section.append(
    el("h3", "Channels"),
    table(["Channel", "Release", "Image", "Commit", "Status", "Deployed"], matrix),
  );

  const releaseRows = releases.map((r) => [
    el("td", r.id, "mono"),
    el("td", shortDigest(r.imageDigest), "mono"),
    el("td", shortCommit(r.commitSha), "mono"),
    timeCell(r.createdAt),
  ]);
  section.append(
    el("h3", "Releases, newest first"),
    releaseRows.length === 0
      ? el("p", "none yet", "muted")
      : table(["Release", "Image", "Commit", "Created"], releaseRows),
  );
  return section;
}

function say(message) {
  byId("message").textContent = message;
  byId("message").hidden = message === "";
}

async function showHealth() {
  const health = byId("health");
  try {
    await api("/readyz");
    health.textContent = "running, database answers";
    health.dataset.state = "ok";
  } catch (error) {
    health.textContent = error instanceof ApiError ? `running, but ${error.message}` : "not answering";
    health.dataset.state = "down";
  }
}

async function show() {
  const token = sessionStorage.getItem(tokenKey) ?? undefined;
  byId("apps").replaceChildren();
  byId("signed-out").hidden = token !== undefined;
  byId("signed-in").hidden = token === undefined;
  if (token === undefined) return;
  try {
    const me = await api("/api/v1/whoami", token);
    byId("who").textContent = me.user.displayName;
    const [apps, targets] = await Promise.all([
      api("/api/v1/apps?limit=200", token),
      api("/api/v1/targets?limit=200", token),
    ]);
    const channels = targets.items.filter((t) => t.kind === "channel").map((t) => t.name);
    const loaded = await Promise.all(apps.items.map((app) => loadApp(app, channels, token)));
    const sections = loaded.map((a) => appSection(a, channels));
    if (sections.length === 0) sections.push(el("p", "No apps in your teams yet.", "muted"));
    if (apps.nextCursor !== null) sections.push(el("p", "Showing the first 200 apps, by name.", "muted"));
    byId("apps").replaceChildren(...sections);
    say("");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      byId("signed-out").hidden = false;
      byId("signed-in").hidden = true;
      say(`The server refused the token: ${error.message}`);
    } else {
      say(error instanceof Error ? error.message : String(error));
    }
  }
}

byId("origin").textContent = location.origin;
byId("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token");
  const token = input.value.trim();
  input.value = "";
  if (token === "") return;
  sessionStorage.setItem(tokenKey, token);
  say("");
  void show();
});
byId("logout").addEventListener("click", () => {
  sessionStorage.removeItem(tokenKey);
  say("");
  void show();
});
byId("refresh").addEventListener("click", () => void show());
void showHealth();
void show();
