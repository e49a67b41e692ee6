/**
 * dotenv: `KEY=value` lines, `#` comments, nothing trimmed, `\n` in a value written as the two
 * characters `\n` (and every `\n` read back as a newline, as `sops` does). Only flat string values.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { goValToStringFloat } from "./go-number.ts";
import { type Branch, comment, type MapEntry, type Scalar, type TreeMap } from "./tree.ts";

export function parseDotenv(text: string, file: string): Branch[] {
  const entries: TreeMap["entries"] = [];
  text.split("\n").forEach((line, index) => {
    if (line.length === 0) return;
    if (line.startsWith("#")) {
      entries.push(comment(line.slice(1)));
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${file}:${index + 1}:1: invalid dotenv line (expected KEY=value)`,
      );
    }
    entries.push({
      key: line.slice(0, eq),
      value: { kind: "str", value: line.slice(eq + 1).replaceAll("\\n", "\n") },
    });
  });
  return [{ kind: "map", entries }];
}

/** `stores.ValToString`: how a non-string scalar is written in dotenv and INI. */
export function valToString(value: Scalar): string {
  switch (value.kind) {
    case "str":
    case "int":
    case "time":
      return value.value;
    case "float":
      return goValToStringFloat(value.value);
    case "bool":
      return String(value.value);
    case "bytes":
      return Buffer.from(value.value).toString("utf8");
    case "null":
      return "<nil>";
  }
}

export function emitDotenv(branches: readonly Branch[]): string {
  const [branch] = branches;
  let out = "";
  for (const entry of branch?.entries ?? []) {
    if ("kind" in entry) {
      out += `#${entry.value}\n`;
      continue;
    }
    const { key, value } = entry as MapEntry;
    if (value.kind === "map" || value.kind === "list") {
      throw new SlipwayError(ErrorCode.Input, `cannot use a nested value in a dotenv file (key ${key})`);
    }
    out += `${key}=${value.kind === "str" ? value.value.replaceAll("\n", "\\n") : valToString(value)}\n`;
  }
  return out;
}
