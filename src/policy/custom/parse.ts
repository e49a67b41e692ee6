/**
 * Custom rule files (text) into rules, refusing anything a built-in rule would not pass: a schema
 * mistake names file:line and field; an ID that collides is refused; and a rule whose own examples
 * do not prove it is refused too — the same testing story as the built-ins, enforced at load time.
 * Pure: the caller reads the directory.
 */
import { ErrorCode, isSlipwayError, type Problem, SlipwayError } from "../../core/errors.ts";
import { verifyRuleExamples } from "../rule-examples.ts";
import type { Rule } from "../types.ts";
import { parseYamlDocuments } from "../yaml-located.ts";
import { compileCustomRule } from "./compile.ts";
import { customRuleSchema } from "./schema.ts";

export interface RuleFile {
  readonly path: string;
  readonly text: string;
}

export function parseCustomRules(files: readonly RuleFile[], takenIds: ReadonlySet<string>): Rule[] {
  const problems: Problem[] = [];
  const rules: Rule[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const doc of parseYamlDocuments(file.text, file.path)) {
      const parsed = customRuleSchema.safeParse(doc.value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
          problems.push({
            file: file.path,
            line: doc.lineOf(path),
            column: 1,
            path: path.join("."),
            message: issue.message,
          });
        }
        continue;
      }
      const spec = parsed.data;
      const at = (path: (string | number)[]) => ({ file: file.path, line: doc.lineOf(path), column: 1 });
      if (takenIds.has(spec.id) || seen.has(spec.id)) {
        const other = seen.get(spec.id) ?? "a built-in rule";
        problems.push({
          ...at(["id"]),
          path: "id",
          message: `rule ID ${JSON.stringify(spec.id)} is already used by ${other}`,
          hint: "prefix custom IDs with your organisation, e.g. acme-",
        });
        continue;
      }
      seen.set(spec.id, file.path);
      let rule: Rule;
      try {
        rule = compileCustomRule(spec, file.path);
      } catch (error) {
        // A bad path or regular expression is a mistake in this file; report it in place.
        if (!isSlipwayError(error) && !(error instanceof SyntaxError)) throw error;
        const message = error.message;
        problems.push({ ...at(["assert"]), path: "assert", message });
        continue;
      }
      for (const p of verifyRuleExamples(rule))
        problems.push({ ...at(["examples"]), path: "examples", message: p });
      rules.push(rule);
    }
  }
  if (problems.length > 0) {
    throw new SlipwayError(ErrorCode.PlatformInvalid, "custom policy rules are invalid", { problems });
  }
  return rules;
}
