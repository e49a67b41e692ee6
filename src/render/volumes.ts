/**
 * The pod's volumes and where each container mounts them: the built-in `/tmp` scratch space (so a
 * read-only root filesystem still has somewhere to write), config files, secrets mounted as files,
 * and the app's own volumes — emptyDirs, PersistentVolumeClaims and projected keys.
 *
 * Mount paths are checked here, where every mount of the pod is known: two mounts on one path, or a
 * mount inside a read-only one (a secret's directory), are refused at the field that adds the second,
 * because the API server (or the kubelet) would refuse the pod.
 */
import { KEEP_ANNOTATION, type KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { configFileKeys } from "./config.ts";
import { metadata, type RenderContext, RenderProblem, RenderProblems } from "./context.ts";

type Volume = NonNullable<AppSpec["volumes"]>[number];
type Json = Record<string, unknown>;

/** A claim (and its data) stays when it leaves the spec (KEEP_ANNOTATION); the same for Helm, Argo CD and Flux, which read their own annotations. */
const KEEP_FOR_OTHERS: Readonly<Record<string, string>> = {
  "helm.sh/resource-policy": "keep",
  "argocd.argoproj.io/sync-options": "Prune=false",
  "kustomize.toolkit.fluxcd.io/prune": "disabled",
};

export interface PodVolumes {
  readonly volumes: Json[];
  /** The main container's mounts. */
  readonly mounts: Json[];
  /** Mounts for an init container or sidecar: `/tmp` plus the named volumes of the app. */
  mountsFor(names: readonly string[] | undefined, field: string): Json[];
}

interface Mount {
  readonly path: string;
  readonly field: string;
  /** The directory is read-only and managed by the kubelet (secret, projected, read-only volume). */
  readonly sealed: boolean;
}

/**
 * `<app>-<name>`, or `<app>--<name>` when the name holds a dash, so no two apps' names meet. The
 * app's name, not the workload's: every process and job of the app mounts the same claim.
 */
export function claimName(ctx: RenderContext, volume: string): string {
  return volume.includes("-") ? `${ctx.spec.name}--${volume}` : `${ctx.spec.name}-${volume}`;
}

export function podVolumes(ctx: RenderContext): PodVolumes {
  const { spec } = ctx;
  const own = spec.volumes ?? [];
  const volumes: Json[] = [];
  const mounts: Json[] = [];
  const seen: Mount[] = [];
  const problems: RenderProblem[] = [];
  const claim = (mount: Mount) => {
    const why = clash(mount, seen);
    if (why) problems.push(new RenderProblem(mount.field, why));
    else seen.push(mount);
    return !why;
  };
  // A volume of the app's own at /tmp takes the place of the built-in scratch space.
  const ownTmp = own.some((v) => trimSlash(v.mountPath) === "/tmp");
  if (!ownTmp) {
    volumes.push({ name: "tmp", emptyDir: {} });
    mounts.push({ name: "tmp", mountPath: "/tmp" });
    seen.push({ path: "/tmp", field: "the built-in /tmp scratch volume", sealed: false });
  }
  if (spec.configFiles?.length) {
    volumes.push({ name: "config", configMap: { name: ctx.names.configMap } });
    const index = new Map(spec.configFiles.map((f, i) => [f, i]));
    for (const [key, file] of configFileKeys(spec.configFiles)) {
      const field = `configFiles[${index.get(file)}].path`;
      if (claim({ path: trimSlash(file.path), field, sealed: false }))
        mounts.push({ name: "config", mountPath: file.path, subPath: key, readOnly: true });
    }
  }
  (spec.secrets ?? []).forEach((secret, i) => {
    if (!secret.mountPath) return;
    const name = `secret-${secret.name}`;
    volumes.push({ name, secret: { secretName: ctx.names.secret(secret.name) } });
    if (claim({ path: trimSlash(secret.mountPath), field: `secrets[${i}].mountPath`, sealed: true }))
      mounts.push({ name, mountPath: secret.mountPath, readOnly: true });
  });
  own.forEach((v, i) => {
    if (own.findIndex((o) => o.name === v.name) < i) {
      problems.push(new RenderProblem(`volumes[${i}].name`, `volume \`${v.name}\` is declared twice`));
      return;
    }
    volumes.push(volumeSource(ctx, v));
    if (claim({ path: trimSlash(v.mountPath), field: `volumes[${i}].mountPath`, sealed: sealedVolume(v) })) {
      mounts.push({ name: v.name, mountPath: v.mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
    }
  });
  if (problems.length > 0) throw new RenderProblems(problems);
  const byName = new Map(own.map((v) => [v.name, v]));
  return {
    volumes,
    mounts,
    mountsFor(names, field) {
      const out: Json[] = ownTmp ? [] : [{ name: "tmp", mountPath: "/tmp" }];
      (names ?? []).forEach((name, i) => {
        if (names?.indexOf(name) !== i)
          throw new RenderProblem(
            `${field}[${i}]`,
            `names volume \`${name}\` twice; each volume is mounted once`,
          );
        const v = byName.get(name);
        if (!v) {
          throw new RenderProblem(
            `${field}[${i}]`,
            `names volume \`${name}\`, which is not under volumes (declared: ${[...byName.keys()].join(", ") || "none"})`,
          );
        }
        out.push({ name, mountPath: v.mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
      });
      return out;
    },
  };
}

/** The PersistentVolumeClaims of the app's `persistent` volumes. */
export function persistentClaims(ctx: RenderContext): KubeObject[] {
  return (ctx.spec.volumes ?? []).flatMap((v) => {
    const p = v.persistent;
    if (!p) return [];
    const keep = p.keep !== false;
    return [
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: metadata(
          ctx,
          claimName(ctx, v.name),
          keep ? { [KEEP_ANNOTATION]: "true", ...KEEP_FOR_OTHERS } : {},
        ),
        spec: {
          accessModes: [p.accessMode ?? "ReadWriteOnce"],
          resources: { requests: { storage: p.size } },
          ...(p.storageClass ? { storageClassName: p.storageClass } : {}),
        },
      },
    ];
  });
}

function volumeSource(ctx: RenderContext, v: Volume): Json {
  if (v.emptyDir) {
    return {
      name: v.name,
      emptyDir: {
        ...(v.emptyDir.medium ? { medium: v.emptyDir.medium } : {}),
        ...(v.emptyDir.sizeLimit ? { sizeLimit: v.emptyDir.sizeLimit } : {}),
      },
    };
  }
  if (v.persistent) return { name: v.name, persistentVolumeClaim: { claimName: claimName(ctx, v.name) } };
  const sources = (v.projected ?? []).map((s) => {
    const body = {
      name: (s.secret ?? s.configMap)!,
      ...(s.items ? { items: s.items.map((item) => ({ ...item })) } : {}),
      ...(s.optional !== undefined ? { optional: s.optional } : {}),
    };
    return s.secret !== undefined ? { secret: body } : { configMap: body };
  });
  return { name: v.name, projected: { sources } };
}

function sealedVolume(v: Volume): boolean {
  return v.projected !== undefined || v.readOnly === true;
}

function trimSlash(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** Why `mount` cannot join `seen`, or undefined. */
function clash(mount: Mount, seen: readonly Mount[]): string | undefined {
  for (const other of seen) {
    if (other.path === mount.path) {
      const hint =
        mount.path === "/tmp"
          ? "; /tmp is the pod's scratch emptyDir: mount this elsewhere (e.g. /var/run/<name>), or declare a volume at /tmp to replace the scratch space"
          : "; each path holds one mount: choose another path";
      return `\`${mount.path}\` is already mounted by ${other.field}${hint}`;
    }
    const [outer, inner] = other.path.length < mount.path.length ? [other, mount] : [mount, other];
    if (outer.sealed && inner.path.startsWith(outer.path === "/" ? "/" : `${outer.path}/`)) {
      return `\`${inner.path}\` (${inner.field}) lies inside the read-only mount \`${outer.path}\` (${outer.field}): the kubelet cannot create a mount point there; mount it beside, not inside`;
    }
  }
  return undefined;
}
