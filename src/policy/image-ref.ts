/**
 * Splits an image reference into repository, tag and digest the way the container runtime reads
 * it: the digest follows `@`, the tag is the part after the last `:` that comes after the last
 * `/` (a `:` before it belongs to a registry port, as in `registry:5000/app`).
 */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(reference: string): ImageRef {
  const at = reference.indexOf("@");
  const digest = at >= 0 ? reference.slice(at + 1) : undefined;
  const rest = at >= 0 ? reference.slice(0, at) : reference;
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  const repository = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  return { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** True when the tag can move under you: no tag, or `latest`, and no digest to pin it. */
export function isMutableLatest(ref: ImageRef): boolean {
  return ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest");
}
