/** Small helpers that keep each rule file to its one idea. */
import type { KubeObject } from "../core/kube-object.ts";
import type { Rule, Violation } from "./types.ts";
import { appContainersOf, type ContainerAt, containersOf } from "./workload.ts";

export const none: readonly Violation[] = [];

/** Identity with the type spelled out, so a rule file reads as a declaration. */
export function defineRule(rule: Rule): Rule {
  return rule;
}

/** Runs `test` on every container (or only app containers) and collects what it reports. */
export function perContainer(
  o: KubeObject,
  which: "all" | "app",
  test: (c: ContainerAt) => Violation | readonly Violation[] | undefined,
): readonly Violation[] {
  const containers = which === "all" ? containersOf(o) : appContainersOf(o);
  let out: Violation[] | undefined;
  for (const c of containers) {
    const v = test(c);
    if (v === undefined) continue;
    out ??= [];
    if (Array.isArray(v)) out.push(...(v as Violation[]));
    else out.push(v as Violation);
  }
  return out ?? none;
}

export function quoted(name: string): string {
  return JSON.stringify(name);
}
