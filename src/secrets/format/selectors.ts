/**
 * Which values get encrypted: `sops`' rules, in its order (each later rule overrides the earlier
 * result), evaluated over every key on a value's path. The metadata allows at most one selector;
 * `unencrypted_suffix: _unencrypted` is the default when none is set.
 */
import { regexMatches } from "./regex.ts";

export interface Selectors {
  readonly unencryptedSuffix?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedRegex?: string;
  readonly unencryptedCommentRegex?: string;
  readonly encryptedCommentRegex?: string;
}

export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

/** The selector fields as both `.sops.yaml` rules and a file's `sops` block spell them. */
export interface SnakeCaseSelectors {
  readonly unencrypted_suffix?: string | undefined;
  readonly encrypted_suffix?: string | undefined;
  readonly unencrypted_regex?: string | undefined;
  readonly encrypted_regex?: string | undefined;
  readonly unencrypted_comment_regex?: string | undefined;
  readonly encrypted_comment_regex?: string | undefined;
}

/** The selectors that are regular expressions, with the field names files and rules use. */
export const REGEX_SELECTORS = [
  ["unencryptedRegex", "unencrypted_regex"],
  ["encryptedRegex", "encrypted_regex"],
  ["unencryptedCommentRegex", "unencrypted_comment_regex"],
  ["encryptedCommentRegex", "encrypted_comment_regex"],
] as const;

export function selectorsFrom(s: SnakeCaseSelectors): Selectors {
  return {
    ...(s.unencrypted_suffix ? { unencryptedSuffix: s.unencrypted_suffix } : {}),
    ...(s.encrypted_suffix ? { encryptedSuffix: s.encrypted_suffix } : {}),
    ...(s.unencrypted_regex ? { unencryptedRegex: s.unencrypted_regex } : {}),
    ...(s.encrypted_regex ? { encryptedRegex: s.encrypted_regex } : {}),
    ...(s.unencrypted_comment_regex ? { unencryptedCommentRegex: s.unencrypted_comment_regex } : {}),
    ...(s.encrypted_comment_regex ? { encryptedCommentRegex: s.encrypted_comment_regex } : {}),
  };
}

export function shouldBeEncrypted(
  s: Selectors,
  path: readonly string[],
  commentsStack: readonly (readonly string[])[],
  isComment: boolean,
): boolean {
  let encrypted = true;
  if (s.unencryptedSuffix) {
    if (path.some((k) => k.endsWith(s.unencryptedSuffix as string))) encrypted = false;
  }
  if (s.encryptedSuffix) {
    encrypted = path.some((k) => k.endsWith(s.encryptedSuffix as string));
  }
  // Go's RE2 semantics (see regex.ts), never JavaScript's: the MAC depends on the same choice.
  const { unencryptedRegex, encryptedRegex, unencryptedCommentRegex, encryptedCommentRegex } = s;
  if (unencryptedRegex) {
    if (path.some((k) => regexMatches(unencryptedRegex, k))) encrypted = false;
  }
  if (encryptedRegex) {
    encrypted = path.some((k) => regexMatches(encryptedRegex, k));
  }
  if (unencryptedCommentRegex) {
    if (commentsStack.some((cs) => cs.some((c) => regexMatches(unencryptedCommentRegex, c))))
      encrypted = false;
  }
  if (encryptedCommentRegex) {
    const last = commentsStack.length - 1;
    const lastLen = commentsStack[last]?.length ?? 0;
    // The comment line that matches is itself left readable; it marks what follows.
    encrypted = commentsStack.some((cs, i) =>
      cs.some(
        (c, j) => !(isComment && i === last && j === lastLen - 1) && regexMatches(encryptedCommentRegex, c),
      ),
    );
  }
  return encrypted;
}
