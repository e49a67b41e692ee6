/**
 * Secrets into deployments: the renderer's Secret objects name their SOPS-encrypted source file
 * (annotation `slipway.dev/secret-file`); here the values are decrypted in memory and placed in
 * `data`, just before apply. Plaintext exists only in these in-memory objects — never on disk, in
 * logs, in errors or in the store — and only the caller that applies them sees it.
 *
 * The pods roll when a secret changes: the Deployment's pod template gets
 * `slipway.dev/secrets-checksum`, a hash of the encrypted source files (not of the values, so the
 * annotation reveals nothing). A Secret over 1 MiB — the Kubernetes limit — is refused here,
 * before anything is applied.
 *
 * Each value's digest goes into `slipway.dev/secret-digests`, so a diff can name the keys that
 * changed even where both copies are encrypted (a GitOps repository's Secrets are re-sealed with
 * a new data key whenever one value changes). The digests are HMACs keyed by the source file's
 * own data key: they stay the same while the file is edited (sops and Slipway keep its data key),
 * and nobody without a key that opens the file can test a guessed value against them.
 */
import { createHash, createHmac } from "node:crypto";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import type { SecretValue } from "../core/secret-value.ts";
import { SECRET_FILE_ANNOTATION } from "../render/config.ts";

export const SECRETS_CHECKSUM_ANNOTATION = "slipway.dev/secrets-checksum";
export const SECRET_SOURCE_ANNOTATION = "slipway.dev/secret-source-sha256";
/** `KEY=digest,…` sorted by key: a keyed digest of each value (see the file comment). */
export const SECRET_DIGESTS_ANNOTATION = "slipway.dev/secret-digests";
export const MAX_SECRET_BYTES = 1024 * 1024;

/** One decrypted value and its key path in the source document. */
export interface DecryptedEntry {
  readonly path: readonly (string | number)[];
  readonly value: SecretValue;
}

/** An opened source file: its values, and the key their digests are made with. */
export interface OpenedSecretFile {
  readonly entries: readonly DecryptedEntry[];
  /** Secret to whoever cannot open the file, and the same for as long as the file keeps its data key. */
  readonly digestKey: Uint8Array;
}

/** What materializing needs from the outside: the encrypted bytes, and a way to open them. */
export interface SecretSources {
  /** The encrypted file's bytes; `file` is as written in slipway.yaml (relative to the app). */
  read(file: string): Promise<Uint8Array>;
  /** Decrypts and verifies (MAC) a SOPS document; throws a SlipwayError naming the file on failure. */
  open(bytes: Uint8Array, file: string): Promise<OpenedSecretFile>;
}

const KEY = /^[-._a-zA-Z0-9]+$/;

/** Returns new objects; the input is left untouched (it may be shown in a plan or a diff). */
export async function materializeSecrets(
  objects: readonly KubeObject[],
  sources: SecretSources,
): Promise<KubeObject[]> {
  const checksums: string[] = [];
  const out: KubeObject[] = [];
  for (const object of objects) {
    const file = object.kind === "Secret" ? object.metadata.annotations?.[SECRET_FILE_ANNOTATION] : undefined;
    if (file === undefined) {
      out.push(object);
      continue;
    }
    const bytes = await sources.read(file);
    const sourceHash = createHash("sha256").update(bytes).digest("hex");
    const opened = await sources.open(bytes, file);
    out.push(secretWithValues(object, file, opened, sourceHash));
    checksums.push(`${object.metadata.name}=${sourceHash}`);
  }
  if (checksums.length === 0) return out;
  const checksum = createHash("sha256").update(checksums.sort().join("\n")).digest("hex").slice(0, 16);
  return out.map((o) =>
    o.kind === "Deployment" ? withPodAnnotation(o, SECRETS_CHECKSUM_ANNOTATION, checksum) : o,
  );
}

function secretWithValues(
  secret: KubeObject,
  file: string,
  { entries, digestKey }: OpenedSecretFile,
  sourceHash: string,
): KubeObject {
  const data: Record<string, string> = {};
  const digests: string[] = [];
  let size = 0;
  for (const entry of entries) {
    const key = entry.path.map(String).join(".");
    if (!KEY.test(key)) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${file}: key \`${key}\` cannot be a Secret key (letters, digits, '-', '_' and '.' only); rename it in the encrypted file`,
      );
    }
    if (key in data)
      throw new SlipwayError(
        ErrorCode.Input,
        `${file}: key \`${key}\` appears twice once nested keys are joined with '.'`,
      );
    const bytes = entry.value.revealBytes();
    size += key.length + bytes.byteLength;
    data[key] = Buffer.from(bytes).toString("base64");
    digests.push(
      `${key}=${createHmac("sha256", digestKey).update(key).update("\0").update(bytes).digest("hex").slice(0, 16)}`,
    );
    bytes.fill(0);
  }
  if (size > MAX_SECRET_BYTES) {
    throw new SlipwayError(
      ErrorCode.TooLarge,
      `Secret ${secret.metadata.name} from ${file} holds ${size} bytes; Kubernetes refuses Secrets over 1 MiB (${MAX_SECRET_BYTES} bytes). Split it or mount large files another way.`,
    );
  }
  return {
    ...secret,
    metadata: {
      ...secret.metadata,
      annotations: {
        ...secret.metadata.annotations,
        [SECRET_SOURCE_ANNOTATION]: sourceHash,
        [SECRET_DIGESTS_ANNOTATION]: digests.sort().join(","),
      },
    },
    data,
  };
}

function withPodAnnotation(deployment: KubeObject, key: string, value: string): KubeObject {
  const spec = deployment.spec as { template: { metadata?: { annotations?: Record<string, string> } } };
  return {
    ...deployment,
    spec: {
      ...spec,
      template: {
        ...spec.template,
        metadata: {
          ...spec.template.metadata,
          annotations: { ...spec.template.metadata?.annotations, [key]: value },
        },
      },
    },
  };
}
