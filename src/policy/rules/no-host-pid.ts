import { hostNamespaceRule } from "../host-namespace.ts";

export const noHostPid = hostNamespaceRule({
  id: "no-host-pid",
  field: "hostPID",
  what: "process namespace",
  rationale: "A pod in the host PID namespace sees, signals and can ptrace every process on the node.",
});
