/**
 * The container image of a render: the release's `repository@sha256:…` when given, otherwise the
 * spec's tag. An image from another repository than the spec's is refused: a release promotes the
 * app's own image, not whatever a flag says.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { AppSpec } from "../spec/app-schema.ts";

export interface ImageRef {
  readonly reference: string;
  readonly repository: string;
  readonly digest?: string;
  readonly tag?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageRef(text: string): ImageRef {
  const [nameAndTag, digest, extra] = text.split("@");
  if (extra !== undefined || nameAndTag === undefined || nameAndTag === "") throw badImage(text);
  if (digest !== undefined && !DIGEST.test(digest))
    throw badImage(text, "the digest must be sha256: and 64 hex digits");
  const lastSlash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.indexOf(":", lastSlash + 1);
  const repository = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository))
    throw badImage(text);
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
    throw badImage(text, "the tag is not valid");
  return {
    reference: text,
    repository,
    ...(digest ? { digest } : {}),
    ...(tag ? { tag } : {}),
  };
}

export function resolveImage(spec: AppSpec, given: string | undefined): ImageRef {
  const repository = spec.image.repository;
  if (given === undefined) {
    if (!spec.image.tag) {
      throw new SlipwayError(
        ErrorCode.Input,
        `no image for ${spec.name}: pass --image ${repository}@sha256:<digest>, or set image.tag in slipway.yaml`,
      );
    }
    return { reference: `${repository}:${spec.image.tag}`, repository, tag: spec.image.tag };
  }
  const ref = DIGEST.test(given) ? parseImageRef(`${repository}@${given}`) : parseImageRef(given);
  if (ref.repository !== repository) {
    throw new SlipwayError(
      ErrorCode.Input,
      `image ${given} is not from ${spec.name}'s repository ${repository} (set image.repository in slipway.yaml, or pass an image of that repository)`,
    );
  }
  return ref;
}

function badImage(text: string, why = "expected repository[:tag][@sha256:<digest>]"): SlipwayError {
  return new SlipwayError(ErrorCode.Input, `invalid image reference \`${text}\`: ${why}`);
}
