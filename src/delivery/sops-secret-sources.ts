/**
 * The SOPS-backed `SecretSources`: encrypted files read from the app's directory and opened with
 * a key ring (age identities, Vault, KMS … from the environment, chosen by the composition root).
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { openDocument } from "../secrets/format/sops-file.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import { secretEntries } from "../secrets/values.ts";
import type { SecretSources } from "./materialize-secrets.ts";

export function sopsSecretSources(appDir: string, keys: KeyRing): SecretSources {
  return {
    async read(file) {
      const path = resolve(appDir, file);
      const inside = relative(appDir, path);
      if (isAbsolute(file) || inside.startsWith("..")) {
        throw new SlipwayError(
          ErrorCode.Input,
          `secret file ${file} must be inside the app directory ${appDir}`,
        );
      }
      try {
        return new Uint8Array(await readFile(path));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new SlipwayError(
          ErrorCode.Input,
          code === "ENOENT"
            ? `secret file ${file} (named in slipway.yaml) does not exist in ${appDir}; create it with \`slipway secrets encrypt\``
            : `secret file ${file} cannot be read: ${code ?? "error"}`,
          { cause: error },
        );
      }
    },
    async open(bytes, file) {
      return secretEntries(await openDocument(bytes, { file, keys }));
    },
  };
}
