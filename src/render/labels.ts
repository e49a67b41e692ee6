/** The labels every rendered object carries, and the pod selector derived from them. */
import type { AppSpec } from "../spec/app-schema.ts";
import type { Platform } from "../spec/platform-schema.ts";
import type { ImageRef } from "./image.ts";
import { labelValue } from "./names.ts";
import type { RenderTarget } from "./target.ts";

export const LABEL = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  version: "app.kubernetes.io/version",
  managedBy: "app.kubernetes.io/managed-by",
  partOf: "app.kubernetes.io/part-of",
  app: "slipway.dev/app",
  target: "slipway.dev/target",
  release: "slipway.dev/release",
  team: "slipway.dev/team",
} as const;

export interface LabelSet {
  /** On every object. */
  readonly common: Record<string, string>;
  /** The immutable Deployment selector: never includes anything that changes between releases. */
  readonly selector: Record<string, string>;
}

export function labelsFor(
  spec: AppSpec,
  platform: Platform,
  target: RenderTarget,
  image: ImageRef,
  release: string | undefined,
): LabelSet {
  const selector = { [LABEL.name]: spec.name, [LABEL.instance]: labelValue(`${spec.name}-${target.name}`) };
  const version = image.tag ?? image.digest?.slice("sha256:".length, "sha256:".length + 12);
  const common: Record<string, string> = {
    ...platform.labels,
    ...spec.labels,
    ...selector,
    [LABEL.managedBy]: "slipway",
    [LABEL.partOf]: spec.team,
    [LABEL.app]: spec.name,
    [LABEL.target]: target.name,
    [LABEL.team]: spec.team,
    ...(version ? { [LABEL.version]: labelValue(version) } : {}),
    ...(release ? { [LABEL.release]: labelValue(release) } : {}),
  };
  return { common, selector };
}
