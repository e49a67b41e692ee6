/**
 * The regular expressions of the SOPS format (`encrypted_regex` and the other selectors, a
 * `.sops.yaml` rule's `path_regex`) are Go's: RE2 syntax (`[[:alpha:]]`, `(?i)`, `\pL`, `\z`; no
 * lookaround or backreferences), matched anywhere in the text as Go's `MatchString` does. They are
 * evaluated here with `re2js`, a port of Go's engine: the same syntax, so a file sops wrote with a
 * regex selects the same values here and its MAC verifies, and linear-time matching, so a pattern
 * taken from an untrusted file's metadata cannot stall decryption.
 */
import { RE2JS } from "re2js";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

/** Longer patterns are refused: no real selector or path rule comes near, and compiling costs. */
export const MAX_REGEX_LENGTH = 1024;

const compiled = new Map<string, RE2JS>();
const MAX_CACHED = 256;

/** Why `pattern` cannot be used (length or syntax), or undefined when it compiles. */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `the regular expression is ${pattern.length} characters long; at most ${MAX_REGEX_LENGTH} are allowed`;
  }
  try {
    compile(pattern);
    return undefined;
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, "") : String(error);
    return `invalid regular expression ${JSON.stringify(pattern)}: ${reason} (sops uses Go's RE2 syntax: no lookaround or backreferences)`;
  }
}

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * True when `pattern` matches anywhere in `text`. The pattern must have been checked with
 * `regexProblem` where it was read (so the error names its file and field); an unchecked invalid
 * pattern throws here.
 */
export function regexMatches(pattern: string, text: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const problem = regexProblem(pattern);
    if (problem) throw new SlipwayError(ErrorCode.Input, problem);
    re = compile(pattern);
  }
  return re.test(text);
}
