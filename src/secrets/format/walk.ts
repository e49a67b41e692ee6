/**
 * The walk over a tree that encrypts or decrypts every leaf and computes the MAC, in `sops`' order:
 * depth first, document order, comments included (they are encrypted but not hashed). A value's
 * additional data is the map keys on its path joined with `:` plus a trailing `:` (list indices are
 * not part of it); a comment's is the path of the map or list that holds it.
 */
import { createHash, type Hash } from "node:crypto";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { decryptValue, encryptValue, isEncryptedValue, type Plain, plainBytes } from "./aes-value.ts";
import { type Selectors, shouldBeEncrypted } from "./selectors.ts";
import type { Branch, Comment, MapEntry, Scalar, TreeList, TreeMap, TreeValue } from "./tree.ts";

/** sha256("sops"): seeds the MAC when `mac_only_encrypted` is set so the two MAC kinds never agree. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from(
  "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69",
  "hex",
);

export interface WalkOptions extends Selectors {
  readonly macOnlyEncrypted?: boolean;
}

type Leaf = Scalar | Comment;
type Visit = (leaf: Leaf, path: readonly string[], stack: string[][], inList: boolean) => Leaf;

function walkMap(map: TreeMap, path: string[], stack: string[][], visit: Visit): TreeMap {
  const frame: string[] = [];
  const inner = [...stack, frame];
  const entries: (MapEntry | Comment)[] = [];
  for (const entry of map.entries) {
    if ("kind" in entry) {
      frame.push(entry.value);
      entries.push(visit(entry, path, inner, false) as Comment);
      continue;
    }
    entries.push({ key: entry.key, value: walkValue(entry.value, [...path, entry.key], inner, visit) });
    frame.length = 0;
  }
  return { kind: "map", entries };
}

function walkList(list: TreeList, path: string[], stack: string[][], visit: Visit): TreeList {
  const frame: string[] = [];
  const inner = [...stack, frame];
  const items: (TreeValue | Comment)[] = [];
  for (const item of list.items) {
    if (item.kind === "comment") {
      frame.push(item.value);
      // In a list, sops writes an encrypted comment as a string item `- ENC[…,type:comment]`.
      items.push(visit(item, path, inner, true) as Comment | Scalar);
      continue;
    }
    items.push(walkValue(item, path, inner, visit));
    frame.length = 0;
  }
  return { kind: "list", items };
}

function walkValue(value: TreeValue, path: string[], stack: string[][], visit: Visit): TreeValue {
  switch (value.kind) {
    case "map":
      return walkMap(value, path, stack, visit);
    case "list":
      return walkList(value, path, stack, visit);
    case "null":
      return value; // nothing to hide, nothing hashed
    default:
      return visit(value, path, stack, false) as Scalar;
  }
}

function newMac(options: WalkOptions): Hash {
  const hash = createHash("sha512");
  if (options.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  return hash;
}

export const aadOf = (path: readonly string[]): string => `${path.join(":")}:`;

/** Reuses an IV for an unchanged (path, type, plaintext) so unchanged values keep their ciphertext. */
export type IvStash = Map<string, Uint8Array>;
const stashKey = (aad: string, value: Plain): string =>
  `${aad}\u0000${value.kind}\u0000${Buffer.from(plainBytes(value)).toString("base64")}`;

export interface EncryptResult {
  readonly branches: Branch[];
  /** Uppercase hex SHA-512, as stored (encrypted) in `sops.mac`. */
  readonly mac: string;
}

export function encryptBranches(
  branches: readonly Branch[],
  key: Uint8Array,
  options: WalkOptions,
  stash?: IvStash,
): EncryptResult {
  const mac = newMac(options);
  const out = branches.map((branch) =>
    walkMap(branch, [], [], (leaf, path, stack, inList) => {
      const isComment = leaf.kind === "comment";
      const encrypted = shouldBeEncrypted(options, path, stack, isComment);
      if (leaf.kind === "null") return leaf;
      if (!isComment && (!options.macOnlyEncrypted || encrypted)) mac.update(plainBytes(leaf));
      if (!encrypted) return leaf;
      const aad = aadOf(path);
      const iv = stash?.get(stashKey(aad, leaf));
      const text = encryptValue(leaf, key, aad, iv);
      return isComment && !inList
        ? { kind: "comment", value: text, inline: leaf.inline }
        : { kind: "str", value: text };
    }),
  );
  return { branches: out, mac: mac.digest("hex").toUpperCase() };
}

export interface DecryptResult extends EncryptResult {
  /** (path, type, plaintext) → IV of every decrypted value, to re-encrypt unchanged values identically. */
  readonly stash: IvStash;
}

const displayPath = (path: readonly string[]): string => (path.length === 0 ? "(top level)" : path.join("."));

export function decryptBranches(
  branches: readonly Branch[],
  key: Uint8Array,
  options: WalkOptions,
): DecryptResult {
  const mac = newMac(options);
  const stash: IvStash = new Map();
  const out = branches.map((branch) =>
    walkMap(branch, [], [], (leaf, path, stack) => {
      const isComment = leaf.kind === "comment";
      const encrypted = shouldBeEncrypted(options, path, stack, isComment);
      let plain: Leaf = leaf;
      if (encrypted && leaf.kind !== "null") {
        const where = isComment ? `comment in ${displayPath(path)}` : displayPath(path);
        if (isComment && !leaf.value.startsWith("ENC[")) {
          plain = leaf; // files from sops before 3.0 left comments in clear
        } else if (leaf.kind !== "str" && !isComment) {
          throw new SlipwayError(
            ErrorCode.SecretIntegrity,
            `${where}: expected an encrypted value but found a plain ${leaf.kind}`,
            { details: { path: where } },
          );
        } else {
          const aad = aadOf(path);
          const decrypted = decryptValue(leaf.value as string, key, aad, where);
          // As in sops, a decrypted comment is no longer inline: it is written above its value.
          plain = decrypted;
          const iv = ivOf(leaf.value as string);
          if (iv) stash.set(stashKey(aad, plain), iv);
        }
      }
      if (
        !isComment &&
        plain.kind !== "null" &&
        plain.kind !== "comment" &&
        (!options.macOnlyEncrypted || encrypted)
      ) {
        mac.update(plainBytes(plain));
      }
      return plain;
    }),
  );
  return { branches: out, mac: mac.digest("hex").toUpperCase(), stash };
}

function ivOf(text: string): Uint8Array | undefined {
  const m = /,iv:([^,]+),/.exec(text);
  return m?.[1] ? Buffer.from(m[1], "base64") : undefined;
}

/**
 * The paths of values the file's selectors say are encrypted but that are not `ENC[…]` envelopes:
 * plaintext in a file that claims to be encrypted. Checked without any key, so a server can refuse
 * to store such a file before anything could open it.
 */
export function plaintextValues(branches: readonly Branch[], options: WalkOptions): string[] {
  const found: string[] = [];
  for (const branch of branches) {
    walkMap(branch, [], [], (leaf, path, stack) => {
      if (leaf.kind === "null" || leaf.kind === "comment") return leaf;
      if (!shouldBeEncrypted(options, path, stack, false)) return leaf;
      if (leaf.kind !== "str" || !isEncryptedValue(leaf.value)) found.push(displayPath(path));
      return leaf;
    });
  }
  return found;
}
