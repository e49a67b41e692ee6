/**
 * Where the pod template lives in each workload kind, so that container rules are written once.
 * Results are cached per object: thirty rules ask the same question of the same Deployment.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { dig, type Json, list, record, stringMap } from "./access.ts";

export interface PodTemplate {
  /** The pod spec (`spec.template.spec` for a Deployment). */
  readonly spec: Json;
  /** Dotted path of `spec` in the object. */
  readonly path: string;
  /** Labels the pods get (the template's labels; a bare Pod's own labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Dotted path of those labels in the object. */
  readonly labelsPath: string;
}

export interface ContainerAt {
  readonly container: Json;
  readonly path: string;
  readonly name: string;
  readonly init: boolean;
}

export const podTemplateKinds = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
];
/** Kinds whose pods are meant to run continuously behind a Service. */
export const serviceWorkloadKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];
/** Kinds with a `spec.replicas`. */
export const scalableKinds = ["Deployment", "StatefulSet", "ReplicaSet"];

const templates = new WeakMap<KubeObject, PodTemplate | null>();
const containerLists = new WeakMap<KubeObject, readonly ContainerAt[]>();

export function podTemplateOf(o: KubeObject): PodTemplate | undefined {
  const cached = templates.get(o);
  if (cached !== undefined) return cached ?? undefined;
  const found = locate(o);
  templates.set(o, found ?? null);
  return found;
}

function locate(o: KubeObject): PodTemplate | undefined {
  switch (o.kind) {
    case "Pod": {
      const spec = record(o.spec);
      return spec
        ? { spec, path: "spec", labels: stringMap(o.metadata.labels), labelsPath: "metadata.labels" }
        : undefined;
    }
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return fromTemplate(dig(o, "spec", "template"), "spec.template");
    case "CronJob":
      return fromTemplate(
        dig(o, "spec", "jobTemplate", "spec", "template"),
        "spec.jobTemplate.spec.template",
      );
    default:
      return undefined;
  }
}

function fromTemplate(template: unknown, path: string): PodTemplate | undefined {
  const spec = record(dig(template, "spec"));
  if (spec === undefined) return undefined;
  return {
    spec,
    path: `${path}.spec`,
    labels: stringMap(dig(template, "metadata", "labels")),
    labelsPath: `${path}.metadata.labels`,
  };
}

/** Init containers first, then app containers, each with its path in the object. */
export function containersOf(o: KubeObject): readonly ContainerAt[] {
  const cached = containerLists.get(o);
  if (cached) return cached;
  const pod = podTemplateOf(o);
  const out: ContainerAt[] = [];
  if (pod) {
    for (const [field, init] of [
      ["initContainers", true],
      ["containers", false],
    ] as const) {
      list(pod.spec[field]).forEach((c, i) => {
        const container = record(c);
        if (container) {
          const name = typeof container.name === "string" ? container.name : `#${i}`;
          out.push({ container, path: `${pod.path}.${field}[${i}]`, name, init });
        }
      });
    }
  }
  containerLists.set(o, out);
  return out;
}

/** App containers only: probes, lifecycle hooks and ports concern them, not init containers. */
export function appContainersOf(o: KubeObject): readonly ContainerAt[] {
  return containersOf(o).filter((c) => !c.init);
}

/** `spec.replicas` with the API default of 1. */
export function replicasOf(o: KubeObject): number {
  const r = dig(o, "spec", "replicas");
  return typeof r === "number" ? r : 1;
}
