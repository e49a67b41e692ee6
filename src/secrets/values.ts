/**
 * The decrypted values of a document as `SecretValue`s, for code that consumes secrets (the
 * deployment path renders Kubernetes Secrets from these): each leaf with its key path, plaintext
 * wrapped so it cannot leak by accident. Comments and nulls are not values.
 */
import { SecretValue } from "../core/secret-value.ts";
import { plainBytes } from "./format/aes-value.ts";
import type { OpenedDocument } from "./format/sops-file.ts";
import { isComment, type TreeValue } from "./format/tree.ts";

export interface SecretEntry {
  /** Map keys and list indices from the document root. */
  readonly path: readonly (string | number)[];
  readonly value: SecretValue;
}

export function secretEntries(doc: OpenedDocument): SecretEntry[] {
  const out: SecretEntry[] = [];
  const walk = (value: TreeValue, path: (string | number)[]): void => {
    if (value.kind === "map") {
      for (const e of value.entries) if (!isComment(e)) walk(e.value, [...path, e.key]);
    } else if (value.kind === "list") {
      const items = value.items.filter((i): i is TreeValue => !isComment(i));
      for (const [i, item] of items.entries()) walk(item, [...path, i]);
    } else if (value.kind !== "null") {
      // Booleans and floats as their YAML/sops text would be surprising in a Secret; use the plain text.
      const bytes =
        value.kind === "bool"
          ? Buffer.from(String(value.value))
          : value.kind === "float"
            ? Buffer.from(String(value.value))
            : plainBytes(value);
      out.push({ path, value: SecretValue.fromBytes(bytes) });
    }
  };
  for (const [i, branch] of doc.branches.entries()) walk(branch, doc.branches.length > 1 ? [i] : []);
  return out;
}
