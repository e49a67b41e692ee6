import { dig, int, list, record, text } from "../access.ts";
import { httpRoute, service } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, quoted } from "../rule-kit.ts";
import { servicePortExists } from "../service-port.ts";
import type { Violation } from "../types.ts";

export const httpRouteBackendsExist = defineRule({
  id: "httproute-backends-exist",
  title: "HTTPRoute backends exist and their ports match",
  rationale:
    "A backendRef to a missing Service or port makes the Gateway answer 500 for the rule; the route is still Accepted.",
  severity: "error",
  hint: "Reference a Service by name and one of its port numbers in every backendRef.",
  kinds: ["HTTPRoute", "GRPCRoute"],
  check: (o, { index }) => {
    const out: Violation[] = [];
    list(dig(o, "spec", "rules")).forEach((rule, i) => {
      list(dig(rule, "backendRefs")).forEach((b, j) => {
        const ref = record(b);
        const kind = text(ref?.kind) ?? "Service";
        const group = text(ref?.group) ?? "";
        const name = text(ref?.name);
        if (kind !== "Service" || group !== "" || name === undefined) return;
        const path = `spec.rules[${i}].backendRefs[${j}]`;
        const svc = index.find("Service", text(ref?.namespace) ?? namespaceOf(o), name);
        if (!svc) {
          out.push({ path: `${path}.name`, message: `backend service ${quoted(name)} does not exist` });
          return;
        }
        const port = int(ref?.port);
        if (port === undefined) {
          out.push({ path: `${path}.port`, message: `backendRef to service ${quoted(name)} names no port` });
        } else if (!servicePortExists(svc, { number: port })) {
          out.push({ path: `${path}.port`, message: `service ${quoted(name)} has no port ${port}` });
        }
      });
    });
    return out;
  },
  examples: {
    pass: [service(), httpRoute()],
    fail: [service(), httpRoute("web", "api")],
    expect: {
      object: "HTTPRoute/shop/web",
      path: "spec.rules[0].backendRefs[0].name",
      message: 'backend service "api" does not exist',
    },
  },
});
