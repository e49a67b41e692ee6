/**
 * Certificates for the test cluster, made with the system's `openssl` (Node can verify X.509 but
 * not issue it). One CA signs the apiserver's serving certificate and a client certificate per
 * identity; the service-account token key pair is a separate EC key. Generated once per state
 * directory and reused: they are test-only and valid for ten years.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ClientIdentity {
  /** File stem: `<name>.crt`, `<name>.key`. */
  readonly name: string;
  readonly commonName: string;
  readonly organization?: string;
}

/** The first address of the service range: the `kubernetes` Service's ClusterIP. */
export const SERVICE_CIDR = "10.96.0.0/16";
const KUBERNETES_SERVICE_IP = "10.96.0.1";

export const IDENTITIES = {
  admin: { name: "admin", commonName: "slipway-testcluster-admin", organization: "system:masters" },
  controllerManager: { name: "kube-controller-manager", commonName: "system:kube-controller-manager" },
  scheduler: { name: "kube-scheduler", commonName: "system:kube-scheduler" },
  // kwok patches node and pod status cluster-wide; the simplest correct grant is admin.
  kwok: { name: "kwok", commonName: "kwok", organization: "system:masters" },
} as const satisfies Record<string, ClientIdentity>;

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `openssl ${args[0]} failed: ${stderr.trim() || String(e)}. Install it with \`apt-get install openssl\`.`,
      { cause: e },
    );
  }
}

function issue(dir: string, name: string, subject: string, extensions: string): void {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr]);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-days",
    "3650",
    "-sha256",
    "-extfile",
    ext,
    "-out",
    join(dir, `${name}.crt`),
  ]);
}

export function ensureCertificates(dir: string): void {
  if (existsSync(join(dir, "complete"))) return;
  mkdirSync(dir, { recursive: true });
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", join(dir, "ca.key")]);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    join(dir, "ca.key"),
    "-subj",
    "/CN=slipway-testcluster-ca",
    "-days",
    "3650",
    "-sha256",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    join(dir, "ca.crt"),
  ]);
  const san = [
    "IP:127.0.0.1",
    `IP:${KUBERNETES_SERVICE_IP}`,
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ].join(",");
  issue(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  for (const id of Object.values(IDENTITIES) as ClientIdentity[]) {
    const subject = id.organization ? `/O=${id.organization}/CN=${id.commonName}` : `/CN=${id.commonName}`;
    issue(
      dir,
      id.name,
      subject,
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
  }
  // Service-account tokens: the apiserver signs with sa.key, verifiers use sa.pub.
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", join(dir, "sa.key")]);
  openssl(["ec", "-in", join(dir, "sa.key"), "-pubout", "-out", join(dir, "sa.pub")]);
  writeFileSync(join(dir, "complete"), "");
}
