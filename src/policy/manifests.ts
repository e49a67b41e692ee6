/**
 * Kubernetes manifests from text (files, stdin, `helm template` output) into objects that remember
 * their source. Validates the minimum every rule relies on (apiVersion, kind, metadata.name) and
 * names `file:line` for anything else; expands `kind: List`. Pure.
 */
import { z } from "zod";
import { ErrorCode, type Problem, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { type LocatedDocument, parseYamlDocuments } from "./yaml-located.ts";

export interface SourcedObject {
  readonly object: KubeObject;
  readonly file: string;
  readonly line: number;
  /** Line of a field path inside this object (for SARIF regions). */
  lineOf(path: readonly (string | number)[]): number;
}

const objectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

export function parseManifests(text: string, file: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const problems: Problem[] = [];
  for (const doc of parseYamlDocuments(text, file)) {
    const items = isList(doc.value)
      ? doc.value.items.map((v, i) => ({ v, at: ["items", i] as (string | number)[] }))
      : [{ v: doc.value, at: [] as (string | number)[] }];
    for (const { v, at } of items) {
      const parsed = objectSchema.safeParse(v);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = [...at, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
          problems.push({
            file,
            line: doc.lineOf(path),
            column: 1,
            path: path.join("."),
            message: issue.message,
            hint: "every manifest needs apiVersion, kind and metadata.name",
          });
        }
        continue;
      }
      out.push(sourced(parsed.data as KubeObject, doc, at));
    }
  }
  if (problems.length > 0)
    throw new SlipwayError(ErrorCode.Input, `${file}: not a Kubernetes manifest`, { problems });
  return out;
}

function isList(v: unknown): v is { items: unknown[] } {
  const r = v as { kind?: unknown; items?: unknown } | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.kind === "string" &&
    r.kind.endsWith("List") &&
    Array.isArray(r.items)
  );
}

function sourced(object: KubeObject, doc: LocatedDocument, at: (string | number)[]): SourcedObject {
  return { object, file: doc.file, line: doc.lineOf(at), lineOf: (path) => doc.lineOf([...at, ...path]) };
}
