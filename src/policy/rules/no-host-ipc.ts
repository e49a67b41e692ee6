import { hostNamespaceRule } from "../host-namespace.ts";

export const noHostIpc = hostNamespaceRule({
  id: "no-host-ipc",
  field: "hostIPC",
  what: "IPC namespace",
  rationale: "A pod in the host IPC namespace can read other processes' shared memory on the node.",
});
