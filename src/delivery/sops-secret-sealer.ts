/**
 * Seals a materialized Secret for the GitOps repository: SOPS-encrypted for the recipients the
 * platform names for that repository (e.g. the age key of the cluster's Flux), with
 * `encrypted_regex: ^(data|stringData)$` so kind and metadata stay readable and Flux's
 * kustomize-controller can decrypt it. The contract of `SecretSealer`: a Secret whose encrypted
 * source did not change comes back as the repository's existing copy, because SOPS encryption is
 * randomized and re-encrypting would make a commit on every deploy.
 */
import { parse, stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.ts";
import { encryptDocument } from "../secrets/format/sops-file.ts";
import type { MasterKeySpec } from "../secrets/key-backend.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import type { SecretSealer } from "./deploy-target.ts";
import { SECRET_SOURCE_ANNOTATION } from "./materialize-secrets.ts";

export interface SopsSecretSealerOptions {
  readonly recipients: readonly MasterKeySpec[];
  readonly keys: KeyRing;
  readonly now?: () => Date;
}

export function sopsSecretSealer(options: SopsSecretSealerOptions): SecretSealer {
  return {
    async seal(plain, previous) {
      const source = plain.metadata.annotations?.[SECRET_SOURCE_ANNOTATION];
      if (
        source !== undefined &&
        previous !== undefined &&
        "sops" in previous &&
        previous.metadata.annotations?.[SECRET_SOURCE_ANNOTATION] === source
      ) {
        return previous;
      }
      const text = await encryptDocument(new TextEncoder().encode(stringify(plain)), {
        file: `${plain.metadata.namespace ?? "cluster"}/${plain.metadata.name}.yaml`,
        format: "yaml",
        keyGroups: [options.recipients],
        selectors: { encryptedRegex: "^(data|stringData)$" },
        keys: options.keys,
        now: options.now?.() ?? new Date(),
      });
      return parse(text) as KubeObject;
    },
  };
}
