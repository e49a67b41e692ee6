/**
 * ConfigMap (the app's config files) and Secret objects. A Secret is rendered with its name,
 * labels and the encrypted file it comes from; its values are filled in memory at deploy time by
 * the secrets module and never pass through the renderer.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { metadata, type RenderContext } from "./context.ts";

export const SECRET_FILE_ANNOTATION = "slipway.dev/secret-file";

type ConfigFile = NonNullable<AppSpec["configFiles"]>[number];

/** ConfigMap keys for config files: the file's base name, made unique and key-safe. */
export function configFileKeys(files: readonly ConfigFile[]): [string, ConfigFile][] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = (file.path.split("/").pop() || "file").replace(/[^-._a-zA-Z0-9]/g, "_");
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base}.${i}`;
    used.add(key);
    return [key, file];
  });
}

export function configMap(ctx: RenderContext): KubeObject | undefined {
  const files = ctx.spec.configFiles;
  if (!files?.length) return undefined;
  const data: Record<string, string> = {};
  for (const [key, file] of configFileKeys(files)) data[key] = file.content;
  return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(ctx, ctx.names.configMap), data };
}

export function secrets(ctx: RenderContext): KubeObject[] {
  return (ctx.spec.secrets ?? []).map((s) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(ctx, ctx.names.secret(s.name), { [SECRET_FILE_ANNOTATION]: s.file }),
    type: "Opaque",
  }));
}
