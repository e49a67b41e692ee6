/**
 * The GitOps repository never receives a plaintext secret value (docs/adr/0004). A Secret may
 * enter it only in SOPS-encrypted form: a `sops` metadata block and every `data`/`stringData`
 * value an `ENC[AES256_GCM,…]` envelope, which Flux decrypts in the cluster. A Secret without
 * values (e.g. one a controller fills) is harmless. Anything else is refused before a byte is
 * written. Pure.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";

const SOPS_VALUE =
  /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;
const VALUE_FIELDS = ["data", "stringData"] as const;

/** True when `o` carries SOPS metadata (its values may then be checked with `plaintextKeys`). */
export function isSopsEncrypted(o: KubeObject): boolean {
  const meta = o.sops;
  return typeof meta === "object" && meta !== null && typeof (meta as { mac?: unknown }).mac === "string";
}

/** `data.password`, `stringData.token`, …: the values of a Secret that are not SOPS envelopes. */
export function plaintextKeys(o: KubeObject): string[] {
  if (o.kind !== "Secret") return [];
  const keys: string[] = [];
  for (const field of VALUE_FIELDS) {
    const values = o[field];
    if (values === undefined || values === null) continue;
    if (typeof values !== "object" || Array.isArray(values)) {
      keys.push(field);
      continue;
    }
    for (const [key, value] of Object.entries(values)) {
      if (!isSopsEncrypted(o) || typeof value !== "string" || !SOPS_VALUE.test(value))
        keys.push(`${field}.${key}`);
    }
  }
  return keys;
}

/** Throws before anything is written when an object would put a plaintext value into git. */
export function assertNoPlaintextSecrets(objects: readonly KubeObject[]): void {
  const offenders = objects.flatMap((o) => {
    const keys = plaintextKeys(o);
    return keys.length === 0 ? [] : [`${objectRef(o)} (${keys.join(", ")})`];
  });
  if (offenders.length > 0) {
    throw new SlipwayError(
      ErrorCode.SecretPlaintext,
      `refusing to write plaintext secret values into the GitOps repository: ${offenders.join("; ")}. ` +
        "Configure SOPS recipients for this GitOps target so Secrets are written encrypted, or reference the " +
        "secret from an external store instead.",
      { details: { objects: offenders } },
    );
  }
}
