/**
 * SARIF 2.1.0 for code-scanning tools (GitHub, GitLab, IDEs): one run, the rules that produced
 * results as `tool.driver.rules`, each finding as a result with its file region when the object
 * came from a file and its object path as a logical location. Waived findings are kept, marked
 * with an external suppression and its justification, as the SARIF format intends.
 */
import { createHash } from "node:crypto";
import type { Finding, Rule } from "../types.ts";
import type { Verdict } from "../verdict.ts";

export interface FindingLocation {
  readonly file: string;
  readonly line: number;
}

function fingerprint(f: Finding): string {
  return createHash("sha256")
    .update(`${f.ruleId}\u0000${f.object}\u0000${f.path}`)
    .digest("hex")
    .slice(0, 32);
}

const levels = { error: "error", warning: "warning", info: "note" } as const;

export function toSarif(
  verdict: Verdict,
  rules: readonly Rule[],
  locate: (finding: Finding) => FindingLocation | undefined,
  toolVersion = "0.1.0",
): Record<string, unknown> {
  const used = [...new Set(verdict.findings.map((f) => f.ruleId))];
  const byId = new Map(rules.map((r) => [r.id, r]));
  const ruleIndex = new Map(used.map((id, i) => [id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "slipway",
            version: toolVersion,
            informationUri: "https://slipway.dev/docs/policy-rules",
            rules: used.map((id) => {
              const r = byId.get(id);
              return {
                id,
                name: id,
                shortDescription: { text: r?.title ?? id },
                fullDescription: { text: r?.rationale ?? id },
                help: { text: r?.hint ?? "" },
                defaultConfiguration: { level: levels[r?.severity ?? "warning"] },
              };
            }),
          },
        },
        results: verdict.findings.map((f) => {
          const where = locate(f);
          return {
            ruleId: f.ruleId,
            ruleIndex: ruleIndex.get(f.ruleId),
            // Stable across runs and line moves, so code-scanning tools track a finding over time.
            partialFingerprints: { "slipwayFinding/v1": fingerprint(f) },
            level: levels[f.severity],
            message: { text: `${f.object} ${f.path}: ${f.message}` },
            locations: [
              {
                ...(where
                  ? {
                      physicalLocation: {
                        artifactLocation: { uri: where.file },
                        region: { startLine: where.line },
                      },
                    }
                  : {}),
                logicalLocations: [{ fullyQualifiedName: `${f.object}#${f.path}`, kind: "object" }],
              },
            ],
            ...(f.waived
              ? {
                  suppressions: [
                    { kind: "external", justification: `${f.waived.reason} (until ${f.waived.expires})` },
                  ],
                }
              : {}),
          };
        }),
      },
    ],
  };
}

/** A failure that stopped the check (bad input, a bad platform file), as data. */
export interface ErrorData {
  readonly code: string;
  readonly message: string;
  readonly problems: readonly { file: string; line: number; column: number; message: string }[];
}

/**
 * The SARIF log of a check that could not run: no results, and the failure as a tool execution
 * notification (with the problems' locations), so a code-scanning upload shows why instead of
 * failing on an empty file.
 */
export function sarifForFailure(error: ErrorData, toolVersion = "0.1.0"): Record<string, unknown> {
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "slipway",
            version: toolVersion,
            informationUri: "https://slipway.dev/docs/policy-rules",
          },
        },
        invocations: [
          {
            executionSuccessful: false,
            toolExecutionNotifications: [
              {
                level: "error",
                descriptor: { id: error.code },
                message: { text: error.message },
                locations: error.problems.map((p) => ({
                  physicalLocation: {
                    artifactLocation: { uri: p.file },
                    region: { startLine: Math.max(1, p.line), startColumn: Math.max(1, p.column) },
                  },
                  message: { text: p.message },
                })),
              },
            ],
          },
        ],
        results: [],
      },
    ],
  };
}
