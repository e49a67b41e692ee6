/** Kubeconfig files with embedded certificates, so each file stands alone (kubectl, client-node). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const b64 = (file: string) => readFileSync(file).toString("base64");

export function writeKubeconfig(target: string, pki: string, identity: string, server: string): void {
  const text = `apiVersion: v1
kind: Config
clusters:
- name: slipway-test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(join(pki, "ca.crt"))}
users:
- name: ${identity}
  user:
    client-certificate-data: ${b64(join(pki, `${identity}.crt`))}
    client-key-data: ${b64(join(pki, `${identity}.key`))}
contexts:
- name: slipway-test
  context:
    cluster: slipway-test
    user: ${identity}
current-context: slipway-test
`;
  writeFileSync(target, text, { mode: 0o600 });
}
