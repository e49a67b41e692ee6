/**
 * Loads one `kubernetes-models` module synchronously, by its package specifier. `require` of an
 * ES module is synchronous (rendering is); the packages export only `import` conditions, so the
 * path is resolved as an import and required by file. The published CLI's bundle replaces this
 * module with one static `require` per model of `k8s-schema.ts` (scripts/bundle.ts), so that the
 * models are bundled and each still loads on first use.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export function loadModelModule(specifier: string): Record<string, unknown> {
  return require(fileURLToPath(import.meta.resolve(specifier))) as Record<string, unknown>;
}
