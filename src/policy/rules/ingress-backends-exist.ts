import { dig, int, list, text } from "../access.ts";
import { ingress, service } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, quoted } from "../rule-kit.ts";
import { describePort, servicePortExists } from "../service-port.ts";
import type { Violation } from "../types.ts";

export const ingressBackendsExist = defineRule({
  id: "ingress-backends-exist",
  title: "Ingress backends exist and their ports match",
  rationale:
    "An Ingress pointing at a missing Service or port returns 503 for that path; the controller accepts it without complaint.",
  severity: "error",
  hint: "Name a Service in the same namespace and one of its ports (by number or name).",
  kinds: ["Ingress"],
  check: (o, { index }) => {
    const backends: { backend: unknown; path: string }[] = [];
    if (dig(o, "spec", "defaultBackend") !== undefined) {
      backends.push({ backend: dig(o, "spec", "defaultBackend"), path: "spec.defaultBackend" });
    }
    list(dig(o, "spec", "rules")).forEach((rule, i) => {
      list(dig(rule, "http", "paths")).forEach((p, j) => {
        backends.push({ backend: dig(p, "backend"), path: `spec.rules[${i}].http.paths[${j}].backend` });
      });
    });
    const out: Violation[] = [];
    for (const { backend, path } of backends) {
      const name = text(dig(backend, "service", "name"));
      if (name === undefined) continue; // a `resource` backend is not a Service
      const svc = index.find("Service", namespaceOf(o), name);
      if (!svc) {
        out.push({ path: `${path}.service.name`, message: `backend service ${quoted(name)} does not exist` });
        continue;
      }
      const number = int(dig(backend, "service", "port", "number"));
      const portName = text(dig(backend, "service", "port", "name"));
      const port = number !== undefined ? { number } : portName !== undefined ? { name: portName } : {};
      if (!servicePortExists(svc, port)) {
        out.push({
          path: `${path}.service.port`,
          message: `service ${quoted(name)} has no port ${describePort(port)}`,
        });
      }
    }
    return out;
  },
  examples: {
    pass: [service(), ingress()],
    fail: [service(), ingress("web", "web", { number: 8080 })],
    expect: {
      object: "Ingress/shop/web",
      path: "spec.rules[0].http.paths[0].backend.service.port",
      message: 'service "web" has no port 8080',
    },
  },
});
