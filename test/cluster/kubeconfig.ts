/** Kubeconfig files with embedded certificates, so each file stands alone (kubectl, client-node). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const b64 = (file: string) => readFileSync(file).toString("base64");

/**
 * `context` names the cluster and the context; the user is the identity, suffixed by the context
 * when it is not the first cluster's, so the two clusters' files merge in one $KUBECONFIG list
 * (kubectl and client-node refuse or shadow duplicate names).
 */
export function writeKubeconfig(
  target: string,
  pki: string,
  identity: string,
  server: string,
  context = "slipway-test",
): void {
  const user = context === "slipway-test" ? identity : `${identity}@${context}`;
  const text = `apiVersion: v1
kind: Config
clusters:
- name: ${context}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(join(pki, "ca.crt"))}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(join(pki, `${identity}.crt`))}
    client-key-data: ${b64(join(pki, `${identity}.key`))}
contexts:
- name: ${context}
  context:
    cluster: ${context}
    user: ${user}
current-context: ${context}
`;
  writeFileSync(target, text, { mode: 0o600 });
}
