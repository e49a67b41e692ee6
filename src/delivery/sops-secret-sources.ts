/**
 * The SOPS-backed `SecretSources`: an app's encrypted files (from a directory or a release
 * snapshot) opened with a key ring the caller chose (age identities, Vault, KMS …, narrowed to the
 * app's team). No I/O of its own: the files and the keys are handed in.
 */
import { hkdfSync } from "node:crypto";
import { openDocument } from "../secrets/format/sops-file.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import { secretEntries } from "../secrets/values.ts";
import type { AppFiles } from "./deploy.ts";
import type { SecretSources } from "./materialize-secrets.ts";

export function sopsSecretSources(files: AppFiles, keys: KeyRing | (() => KeyRing)): SecretSources {
  return {
    read: (file) => files.read(file),
    async open(bytes, file) {
      const opened = await openDocument(bytes, { file, keys: typeof keys === "function" ? keys() : keys });
      // The value digests' key comes from the file's data key, never the data key itself.
      const digestKey = new Uint8Array(
        hkdfSync("sha256", opened.dataKey, "", "slipway.dev/secret-digests", 32),
      );
      return { entries: secretEntries(opened), digestKey };
    },
  };
}
