/**
 * The status page at `/`: what the address `slipway serve` prints shows. Static HTML, one script
 * and one stylesheet; the script reads everything it shows from the API with the token the user
 * pastes, so the page itself carries no data and answers the same to everyone.
 */
import type { Hono } from "hono";
import { packageVersion, readStaticFile, type StaticFile } from "./files.ts";

/**
 * Only this origin's script and style, no inline code, no plugins, no framing, no <base>, no form
 * posts anywhere; and (Trusted Types) the browser itself refuses any HTML string assigned to the
 * DOM, so server text can only ever arrive as text.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "require-trusted-types-for 'script'",
].join("; ");

const pages: Readonly<Record<string, { file: StaticFile; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/ui/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/ui/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

export function mountStatusPage(app: Hono): void {
  const bodies = new Map<StaticFile, string>();
  const body = (file: StaticFile): string => {
    let text = bodies.get(file);
    if (text === undefined) {
      text = readStaticFile(file);
      // The one value written into the page on the server: our own version, checked to be plain.
      if (file === "index.html") text = text.replace("%VERSION%", plain(packageVersion()));
      bodies.set(file, text);
    }
    return text;
  };
  for (const [path, { file, type }] of Object.entries(pages)) {
    app.get(path, (c) =>
      c.body(body(file), 200, {
        "content-type": type,
        "content-security-policy": contentSecurityPolicy,
        "referrer-policy": "no-referrer",
      }),
    );
  }
}

function plain(version: string): string {
  return /^[0-9A-Za-z.+-]{1,64}$/.test(version) ? version : "unknown";
}
