/** Whether a Service offers a port, by number or by name, as Ingress and HTTPRoute refer to it. */
import type { KubeObject } from "../core/kube-object.ts";
import { dig, list, record } from "./access.ts";

export function servicePortExists(svc: KubeObject, port: { number?: number; name?: string }): boolean {
  return list(dig(svc, "spec", "ports")).some((p) => {
    const r = record(p);
    if (!r) return false;
    if (port.number !== undefined) return r.port === port.number;
    if (port.name !== undefined) return r.name === port.name;
    return false;
  });
}

export function describePort(port: { number?: number; name?: string }): string {
  return port.number !== undefined ? String(port.number) : JSON.stringify(port.name ?? "");
}
