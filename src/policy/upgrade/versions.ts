/** Kubernetes versions as comparable numbers: `1.31`, `v1.31.4`, `v1.31.4-eks-1234` all read as minor 31. */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export interface KubeVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

const pattern = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/;

export function parseKubeVersion(text: string): KubeVersion | undefined {
  const m = pattern.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

/** Like `parseKubeVersion` for user input: a bad version is the user's mistake, said plainly. */
export function requireKubeVersion(text: string, field: string): KubeVersion {
  const v = parseKubeVersion(text);
  if (!v) {
    throw new SlipwayError(
      ErrorCode.Input,
      `${field}: ${JSON.stringify(text)} is not a Kubernetes version (expected e.g. 1.31 or v1.31.2)`,
    );
  }
  return v;
}

/** Compares major.minor only; patch releases never add or remove API versions. */
export function compareMinor(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatMinor(v: KubeVersion): string {
  return `${v.major}.${v.minor}`;
}
