/**
 * The server's composition root: the only place that picks the database, builds the GitOps
 * target and binds the HTTP core to a socket (`@hono/node-server`). `slipway serve` calls
 * `startServer`; everything below it takes its dependencies handed in.
 */
import { type Stats, unwatchFile, watchFile } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { serve } from "@hono/node-server";
import type { ClusterConnections } from "../compose/deploy-targets.ts";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { DeployPorts } from "../delivery/deploy.ts";
import { type LiveHealth, recordedOnly } from "../delivery/live-health.ts";
import type { GatePorts } from "../delivery/promotion-facts.ts";
import type { ReleaseSources } from "../delivery/release-from-git.ts";
import { Engine } from "../engine/engine.ts";
import type { Executor } from "../engine/executor.ts";
import { Promoter } from "../engine/promoter.ts";
import { displayRepository, GitSource } from "../source/git-source.ts";
import { loadPlatformWithRules } from "../source/platform-files.ts";
import { PLATFORM_ENV, PLATFORM_FILE } from "../spec/files.ts";
import { CachedStore } from "../store/cached-store.ts";
import { openPostgresStore, openSqliteStore, redactUrl } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { createApi } from "./app.ts";
import { authenticator } from "./auth/authenticate.ts";
import { type OidcConfig, oidcVerifier } from "./auth/oidc.ts";
import { bootstrapAdmin } from "./bootstrap.ts";
import type { DemoApp, DemoResult } from "./demo.ts";
import { PlatformState } from "./platform-state.ts";

export interface ServerOptions {
  /** Holds the SQLite file and the GitOps directory. */
  readonly dataDir: string;
  /** PostgreSQL instead of the embedded SQLite file. */
  readonly databaseUrl?: string | undefined;
  /** `host:port`, `:port` or `port`; port 0 picks a free one. */
  readonly listen: string;
  readonly demo: boolean;
  /** Serve repeated reads from memory until the state version moves (default: yes). */
  readonly readCache?: boolean;
  readonly examplesDir?: string;
  /**
   * The platform file: the server's one source of channels and clusters. Without it,
   * $SLIPWAY_PLATFORM, else the built-in default (with --demo, the examples' platform file).
   */
  readonly platformFile?: string | undefined;
  /** Where the platform file and the key ring read their settings ($SLIPWAY_PLATFORM, SOPS_AGE_KEY_FILE …). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly oidc?: OidcConfig | undefined;
  /** Where users reach the server (e.g. `https://slipway.example.com`); https turns on HSTS. */
  readonly publicUrl?: string | undefined;
  /**
   * Let releases read repositories from this machine's disk (absolute paths, file:// URLs). Off
   * by default: on a shared server a local path reads the server's own files. On with --demo.
   */
  readonly allowLocalRepositories?: boolean;
  /**
   * How the engine carries out a deployment; default: the deployment use case on the platform's
   * clusters and GitOps repositories. Tests hand in fakes (an instrumented target).
   */
  readonly executor?: Executor;
  /** The engine (`src/engine/`): a deployment's overall deadline, and how long an unrenewed claim lasts. */
  readonly engine?: { readonly timeoutMs?: number; readonly leaseMs?: number; readonly concurrency?: number };
  readonly log: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  /** The server's own store, read cache included: writes through it are seen by the next request. */
  readonly store: Store;
  /** The bootstrap admin token, on the first start only. */
  readonly adminToken: string | undefined;
  /** The platform in use (the last platform file that validated) and whether a reload failed. */
  readonly platform: PlatformState;
  /**
   * With --demo: settles once the example apps' releases have moved as far as the demo takes them
   * (the engine deploys them after the server listens).
   */
  readonly demo: Promise<DemoResult | undefined>;
  close(): Promise<void>;
}

export function parseListen(listen: string): { hostname: string; port: number } {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(listen.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--listen "${listen}" is not host:port, :port or port (e.g. 127.0.0.1:8080)`,
    );
  }
  const host = match[1] ?? "";
  return { hostname: host === "" ? "127.0.0.1" : host.replace(/^\[(.*)\]$/, "$1"), port };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { hostname, port } = parseListen(options.listen);
  const dataDir = resolve(options.dataDir);
  const database = options.databaseUrl
    ? await openPostgresStore(options.databaseUrl, { log: options.log })
    : await openSqliteStore(join(dataDir, "slipway.db"));
  const store = options.readCache === false ? database : new CachedStore(database);
  options.log(
    options.databaseUrl
      ? `state: PostgreSQL ${redactUrl(options.databaseUrl)}`
      : `state: SQLite ${join(dataDir, "slipway.db")}`,
  );
  let server: ReturnType<typeof serve>;
  const requests = new InFlight();
  const env = options.env ?? process.env;
  const examplesDir = options.examplesDir ?? resolve("examples");
  let platform: PlatformState | undefined;
  let unwatch = () => {};
  let engine: Engine | undefined;
  let promoter: Promoter | undefined;
  const gitopsDir = join(dataDir, "gitops");
  let demoPorts: Pick<DeployPorts, "target" | "keys"> | undefined;
  let demoApps: DemoApp[] | undefined;
  let releaseSources: ReleaseSources | undefined;
  try {
    // The demo's platform is the examples' own file, named explicitly; anything else is the operator's.
    const platformFile =
      options.platformFile ??
      (options.demo ? join(examplesDir, PLATFORM_FILE) : env[PLATFORM_ENV] || undefined);
    const state = await PlatformState.open({
      load: () => loadPlatformWithRules(platformFile, {}),
      store,
      log: options.log,
      file: platformFile,
    });
    platform = state;
    options.log(`platform: ${platformFile ?? "built-in default"}`);
    if (platformFile !== undefined) unwatch = watchPlatformFile(platformFile, platform);
    if (options.demo) {
      // The demo needs the renderer, the SOPS format and git; a plain server does not load them.
      const [{ registerDemoApps }, { GitOpsTarget }, { sopsSecretSealer }, { keyRingFromEnv }] =
        await Promise.all([
          import("./demo.ts"),
          import("../gitops/gitops-target.ts"),
          import("../delivery/sops-secret-sealer.ts"),
          import("../secrets/backends/from-env.ts"),
        ]);
      const demoPlatform = platform.current().platform.platform;
      // The examples' secrets open with the demo key beside them, narrowed to each app's team.
      const demoKeys = (scope: { team: string; app: string }) =>
        keyRingFromEnv(
          { ...env, SOPS_AGE_KEY_FILE: join(examplesDir, "demo-age-key.txt") },
          { keys: demoPlatform.keys, teams: demoPlatform.teams?.map((t) => t.name), scope },
        );
      demoPorts = {
        keys: demoKeys,
        // The demo has no cluster: every channel is committed to the data directory's GitOps
        // repository, its Secrets sealed for the recipients the platform names for GitOps.
        target: (_cluster, scope) =>
          new GitOpsTarget({
            dir: gitopsDir,
            sealer: sopsSecretSealer({
              recipients: demoPlatform.clusters
                .flatMap((c) => c.gitops?.sops?.age ?? [])
                .map((recipient) => ({ type: "age" as const, recipient })),
              keys: demoKeys(scope),
            }),
          }),
      };
      demoApps = await registerDemoApps(store, examplesDir, platform.current());
    }
    releaseSources = {
      // A bare mirror per repository under the data directory, fetched incrementally.
      repositories: new GitSource({
        cacheDir: join(dataDir, "repositories"),
        allowLocal: options.allowLocalRepositories === true || options.demo,
      }),
      platform: async () => state.current().platform,
      show: displayRepository,
    };
    // One connection per cluster, shared by the engine's deployments and the gates' live reads.
    let connections: Promise<ClusterConnections> | undefined;
    const clusterConnections = () =>
      (connections ??= import("../compose/deploy-targets.ts").then((m) => new m.ClusterConnections()));
    // The promotion gates check the platform's custom rules and read the channel before live;
    // the demo commits every channel to its GitOps directory, so it has only the record.
    const gatePorts: GatePorts = {
      customRules: () => state.current().customRules,
      liveHealth: options.demo ? recordedOnly(gitopsDir) : lazyLiveHealth(state, env, clusterConnections),
    };
    // What the API and the promoter queue wakes this replica's engine at once.
    const wake = () => engine?.wake();
    const app = createApi({
      store: wakingEngine(store, wake),
      authenticate: authenticator({ store, oidc: options.oidc ? oidcVerifier(options.oidc) : undefined }),
      logger: { error: (m) => options.log(m), info: (m) => options.log(m) },
      checkReadResponses: false,
      platformStatus: () => state.status(),
      // The DORA numbers follow the platform in use: its production channel and failure settings.
      platform: () => state.current().platform.platform,
      publicUrl: options.publicUrl,
      releaseSources,
      gatePorts,
    });
    // The engine reads and claims through the database itself: what it is about to change must
    // not come from the read cache.
    engine = new Engine({
      store: database,
      executor: options.executor ?? lazyReleaseExecutor(database, state, env, clusterConnections, demoPorts),
      ...options.engine,
      log: options.log,
    });
    // Channels with promote: auto take the release before them as soon as their gates pass.
    promoter = new Promoter({
      store: wakingEngine(database, wake),
      platform: () => state.current().platform,
      gatePorts,
      log: options.log,
    });
    server = await new Promise<ReturnType<typeof serve>>((resolveServer, reject) => {
      const fetch = (request: Request, env: unknown) => requests.track(() => app.fetch(request, env));
      const s = serve({ fetch, hostname, port }, () => resolveServer(s));
      s.once("error", (error) =>
        reject(
          new SlipwayError(ErrorCode.Unavailable, `cannot listen on ${hostname}:${port}: ${error.message}`),
        ),
      );
    });
  } catch (error) {
    unwatch();
    await store.close();
    throw error;
  }
  // Only once the server listens: a token created by a start that then failed (port taken, bad
  // examples) would never be shown, and the next start would not create another.
  const adminToken = await bootstrapAdmin(store);
  engine.start();
  promoter?.start();
  const demoStop = new AbortController();
  const demo = demoApps === undefined ? Promise.resolve(undefined) : startDemo(demoApps);
  async function startDemo(apps: DemoApp[]): Promise<DemoResult | undefined> {
    const started = performance.now();
    const { runDemo } = await import("./demo.ts");
    try {
      const result = await runDemo(
        wakingEngine(store, () => engine?.wake()),
        apps,
        {
          examplesDir,
          dataDir,
          platform: () => platform!.current(),
          sources: releaseSources!,
          signal: demoStop.signal,
          log: options.log,
        },
      );
      for (const line of result.waiting) options.log(`demo: ${line}`);
      options.log(
        `demo: ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.apps.length} apps, ${result.deployments} deployments queued; manifests in the GitOps directory ${gitopsDir}`,
      );
      return result;
    } catch (error) {
      if (demoStop.signal.aborted) return undefined;
      options.log(`demo: stopped: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    store,
    adminToken,
    platform,
    demo,
    close: async () => {
      unwatch();
      demoStop.abort(new Error("the server is stopping"));
      await demo;
      // Stop accepting, let requests in flight finish (up to 5 s), then close the store: a request
      // must never find the database already gone.
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      const grace = setTimeout(() => {
        if ("closeAllConnections" in server) server.closeAllConnections();
      }, 5_000);
      // A request whose client hung up is still running after its connection closed (a load
      // generator that stops leaves hundreds queued for the database): wait for those too.
      await Promise.race([
        closed.then(() => requests.drained()),
        new Promise((resolveGrace) => setTimeout(resolveGrace, 5_000).unref()),
      ]);
      clearTimeout(grace);
      // Jobs in hand are given back, so another replica takes them over without waiting.
      await promoter?.stop();
      await engine?.stop();
      await store.close();
    },
  };
}

/**
 * Re-reads the platform file when it changes on disk. Polling the file's status, not an inotify
 * watch: editors and Kubernetes ConfigMap mounts replace the file (a rename, a symlink swap), which
 * an inotify watch on the old file never reports. SIGHUP reloads at once (see `slipway serve`).
 */
function watchPlatformFile(file: string, platform: PlatformState): () => void {
  const path = resolve(file);
  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino)
      void platform.reload();
  };
  watchFile(path, { interval: 2_000, persistent: false }, onChange);
  return () => unwatchFile(path, onChange);
}

/** Counts the requests being handled, so that closing can wait until none is. */
class InFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  async track(handle: () => Response | Promise<Response>): Promise<Response> {
    this.#count++;
    try {
      return await handle();
    } finally {
      this.#count--;
      if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  drained(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * The deployment use case on the platform in use, loaded on the first job: a server that deploys
 * nothing does not pay for the renderer, the policy engine and the SOPS format at start-up.
 */
function lazyReleaseExecutor(
  store: Store,
  platform: PlatformState,
  env: Readonly<Record<string, string | undefined>>,
  clusterConnections: () => Promise<ClusterConnections>,
  ports?: Pick<DeployPorts, "target" | "keys">,
): Executor {
  let loaded: Promise<Executor> | undefined;
  return async (job, signal) => {
    loaded ??= (async () => {
      const { deployTargetFor } = await import("../compose/deploy-targets.ts");
      // One connection per cluster for all of this replica's deployments.
      const connections = await clusterConnections();
      const [{ releaseExecutor }, { keyRingFromEnv }] = await Promise.all([
        import("../engine/release-executor.ts"),
        import("../secrets/backends/from-env.ts"),
      ]);
      return releaseExecutor({
        store,
        platform: () => platform.current(),
        ports: ports ?? {
          // The server's own key ring (SOPS_AGE_KEY_FILE and the rest, as the CLI reads them),
          // narrowed to the app's team as the platform says.
          keys: (scope) => {
            const p = platform.current().platform.platform;
            return keyRingFromEnv(env, { keys: p.keys, teams: p.teams?.map((t) => t.name), scope });
          },
          target: async (cluster, scope) => {
            const p = platform.current().platform.platform;
            const keys = () =>
              keyRingFromEnv(env, { keys: p.keys, teams: p.teams?.map((t) => t.name), scope });
            return deployTargetFor(platform.current().platform, cluster, {
              cwd: process.cwd(),
              keys,
              env,
              nameCluster: true,
              connections,
            });
          },
        },
      });
    })();
    return (await loaded)(job, signal);
  };
}

/**
 * The channels' live view for the promotion gates, loaded on first use like the executor: a server
 * whose gates are never read does not load the cluster client.
 */
function lazyLiveHealth(
  platform: PlatformState,
  env: Readonly<Record<string, string | undefined>>,
  clusterConnections: () => Promise<ClusterConnections>,
): LiveHealth {
  let loaded: Promise<LiveHealth> | undefined;
  return {
    channelHealth: async (query) => {
      loaded ??= (async () => {
        const { platformLiveHealth } = await import("../compose/live-health.ts");
        const connections = await clusterConnections();
        return platformLiveHealth({
          platform: () => platform.current().platform,
          context: { cwd: process.cwd(), env, connections },
        });
      })();
      return (await loaded).channelHealth(query);
    },
  };
}

/**
 * The store as the API, the promoter and the demo use it: a deployment they queue wakes this
 * replica's engine at once, instead of at its next poll (which would be most of a promotion's
 * latency). Other replicas find it at their next poll.
 */
function wakingEngine(store: Store, wake: () => void): Store {
  const enqueueDeployment: Store["enqueueDeployment"] = async (actor, input) => {
    const queued = await store.enqueueDeployment(actor, input);
    wake();
    return queued;
  };
  return new Proxy(store, {
    get: (target, key) => {
      if (key === "enqueueDeployment") return enqueueDeployment;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
