/**
 * The five file formats behind one shape: parse plaintext, parse an encrypted file (its branches
 * and its metadata), emit either. The format follows the file name the way `sops` picks it:
 * `.yaml`/`.yml`, `.json`, `.env`, `.ini`, anything else is binary (the whole file is one value,
 * stored in a JSON envelope under `data`).
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { emitDotenv, parseDotenv } from "./dotenv-store.ts";
import { flatten, unflatten } from "./flatten.ts";
import type { SopsFormat } from "./format-names.ts";
import { emitIni, parseIni } from "./ini-store.ts";
import { emitJson, parseJson } from "./json-store.ts";
import { checkSize } from "./limits.ts";
import { metadataFromTree, metadataToTree, type SopsMetadata } from "./metadata.ts";
import type { Branch, MapEntry, Scalar, TreeMap } from "./tree.ts";
import { detectYamlIndent, emitYaml, parseYaml } from "./yaml-store.ts";

export { formatForPath, SOPS_FORMATS, type SopsFormat } from "./format-names.ts";

export interface EmitOptions {
  /** YAML indentation (sops' default 4) or JSON indentation in spaces (default: a tab). */
  readonly indent?: number;
}

const utf8 = new TextDecoder("utf-8");

export function parsePlain(bytes: Uint8Array, format: SopsFormat, file: string): Branch[] {
  checkSize(bytes, file);
  if (format === "binary") {
    const text = utf8.decode(bytes);
    const exact = Buffer.from(text, "utf8").equals(Buffer.from(bytes));
    const data: Scalar = exact
      ? { kind: "str", value: text }
      : { kind: "str", value: text, raw: Uint8Array.from(bytes) };
    return [{ kind: "map", entries: [{ key: "data", value: data }] }];
  }
  const text = utf8.decode(bytes);
  switch (format) {
    case "yaml":
      return parseYaml(text, file);
    case "json":
      return parseJson(text, file);
    case "dotenv":
      return parseDotenv(text, file);
    case "ini":
      return parseIni(text, file);
  }
}

export interface ParsedEncrypted {
  readonly branches: Branch[];
  readonly metadata: SopsMetadata;
  /** The indentation the file uses, kept when it is rewritten. */
  readonly indent?: number;
}

function notEncrypted(file: string): SlipwayError {
  return new SlipwayError(
    ErrorCode.SecretDecrypt,
    `${file}: no sops metadata found; is this file encrypted?`,
    {
      details: { file },
    },
  );
}

export function parseEncrypted(bytes: Uint8Array, format: SopsFormat, file: string): ParsedEncrypted {
  // The binary store's encrypted form is JSON.
  const branches = parsePlain(bytes, format === "binary" ? "json" : format, file);
  if (format === "dotenv") {
    const [branch] = branches as [Branch];
    const meta: [string, Scalar][] = [];
    const rest = branch.entries.filter((e) => {
      if ("kind" in e || !e.key.startsWith("sops_")) return true;
      meta.push([e.key.slice(5), e.value as Scalar]);
      return false;
    });
    if (meta.length === 0) throw notEncrypted(file);
    return {
      branches: [{ kind: "map", entries: rest }],
      metadata: metadataFromTree(unflatten(meta, file), file),
    };
  }
  let metadataTree: TreeMap | undefined;
  const stripped = branches.map((branch, index) => ({
    kind: "map" as const,
    entries: branch.entries.filter((e) => {
      if ("kind" in e || e.key !== "sops") return true;
      if (index === 0) {
        if (metadataTree) throw new SlipwayError(ErrorCode.SecretIntegrity, `${file}: duplicate sops entry`);
        if (e.value.kind !== "map")
          throw new SlipwayError(ErrorCode.SecretIntegrity, `${file}: sops is not a map`);
        metadataTree = e.value;
      }
      return false;
    }),
  }));
  if (!metadataTree) throw notEncrypted(file);
  if (format === "ini") {
    const flat = metadataTree.entries
      .filter((e): e is MapEntry => !("kind" in e))
      .map((e) => [e.key, e.value as Scalar] as [string, Scalar]);
    metadataTree = unflatten(
      flat.map(([k, v]) => [k, v.kind === "str" ? { ...v, value: v.value.replaceAll("\\n", "\n") } : v]),
      file,
    );
  }
  const indent = format === "yaml" ? detectYamlIndent(utf8.decode(bytes)) : undefined;
  return {
    branches: stripped,
    metadata: metadataFromTree(metadataTree, file),
    ...(indent === undefined ? {} : { indent }),
  };
}

function emitText(
  branches: readonly Branch[],
  format: Exclude<SopsFormat, "binary">,
  options: EmitOptions,
): string {
  switch (format) {
    case "yaml":
      return emitYaml(branches, options.indent);
    case "json":
      return emitJson(branches, options.indent === undefined ? "\t" : " ".repeat(options.indent));
    case "dotenv":
      return emitDotenv(branches);
    case "ini":
      return emitIni(branches);
  }
}

export function emitEncrypted(
  branches: readonly Branch[],
  metadata: SopsMetadata,
  format: SopsFormat,
  options: EmitOptions = {},
): string {
  const tree = metadataToTree(metadata);
  const withMeta = (entries: Branch["entries"]): Branch[] =>
    branches.map((b) => {
      if (b.entries.some((e) => !("kind" in e) && e.key === "sops")) {
        throw new SlipwayError(ErrorCode.Input, `"sops" is a reserved key and cannot be used in the data`);
      }
      return { kind: "map", entries: [...b.entries, ...entries] };
    });
  switch (format) {
    case "yaml":
    case "json":
    case "binary":
      return emitText(
        withMeta([{ key: "sops", value: tree }]),
        format === "binary" ? "json" : format,
        options,
      );
    case "dotenv": {
      const flat = flatten(tree, "sops_").map(([key, value]) => ({ key, value }));
      return emitDotenv(withMeta(flat));
    }
    case "ini": {
      const flat = flatten(tree, "").map(([key, value]) => ({
        key,
        value: value.kind === "str" ? { ...value, value: value.value.replaceAll("\n", "\\n") } : value,
      }));
      return emitIni(withMeta([{ key: "sops", value: { kind: "map", entries: flat } }]));
    }
  }
}

export function emitPlain(
  branches: readonly Branch[],
  format: SopsFormat,
  options: EmitOptions = {},
): Uint8Array {
  if (format === "binary") {
    const data = branches[0]?.entries.find((e): e is MapEntry => !("kind" in e) && e.key === "data");
    if (data?.value.kind !== "str") {
      throw new SlipwayError(ErrorCode.SecretDecrypt, "binary file: no data value in the tree");
    }
    return data.value.raw ?? Buffer.from(data.value.value, "utf8");
  }
  return Buffer.from(emitText(branches, format, options), "utf8");
}
