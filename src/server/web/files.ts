/**
 * What the status page is made of: the files in `static/` beside this module, and the version it
 * shows (package.json's). Read from disk on first use in a checkout; the published bundle replaces
 * this module with one that holds the same contents (scripts/bundle.ts), since an installed
 * package has neither `src/` nor a path from a bundled chunk to it.
 */
import { readFileSync } from "node:fs";

export const staticFiles = ["index.html", "app.js", "style.css"] as const;
export type StaticFile = (typeof staticFiles)[number];

export function readStaticFile(name: StaticFile): string {
  return readFileSync(new URL(`./static/${name}`, import.meta.url), "utf8");
}

export function packageVersion(): string {
  const manifest: unknown = JSON.parse(
    readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
  );
  const version = (manifest as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}
