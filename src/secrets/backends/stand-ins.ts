/**
 * Local https stand-ins for the network key services, for tests only: they speak the documented
 * request and response shapes of Vault's transit engine and of AWS KMS `Encrypt`/`Decrypt` (JSON
 * 1.1, SigV4-authenticated), keep their keys in memory and listen on 127.0.0.1 only. Their
 * certificate is self-signed, made with `openssl` once per process, and trusted in this process
 * only (`tls.setDefaultCACertificates`); `testCertificate().caFile` is for a peer such as sops
 * (`SSL_CERT_FILE`).
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { signingKey } from "./sigv4.ts";

interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate as a CA bundle file, for peers in other processes. */
  readonly caFile: string;
}

let certificate: TestCertificate | undefined;

/** A self-signed certificate for 127.0.0.1 and localhost, trusted by this process from now on. */
export function testCertificate(): TestCertificate {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), "slipway-test-tls-"));
  const [keyFile, certFile] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ],
    { stdio: "ignore" },
  );
  const cert = readFileSync(certFile, "utf8");
  setDefaultCACertificates([...getCACertificates("default"), cert]);
  certificate = { key: readFileSync(keyFile, "utf8"), cert, caFile: certFile };
  return certificate;
}

/** An https server on the test certificate. */
export function httpsServer(listener: RequestListener): Server {
  const { key, cert } = testCertificate();
  return createServer({ key, cert }, listener);
}

export interface StandIn {
  readonly url: string;
  /** Requests served, by action (e.g. `encrypt`, `Decrypt`). */
  readonly calls: Map<string, number>;
  /** Every request that arrived, as `METHOD path`, whatever it asked for. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(JSON.stringify(body));
}

async function listen(server: Server, calls: Map<string, number>): Promise<StandIn> {
  const requests: string[] = [];
  server.prependListener("request", (req: IncomingMessage) => requests.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    calls,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12)).setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
}

const count = (calls: Map<string, number>, name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);

/** Vault transit: `POST /v1/<mount>/encrypt|decrypt/<key>`, `X-Vault-Token` required. */
export async function startVaultTransitStandIn(token: string): Promise<StandIn> {
  const keys = new Map<string, Buffer>();
  const calls = new Map<string, number>();
  const server = httpsServer(async (req, res) => {
    const body = await readBody(req);
    if (req.headers["x-vault-token"] !== token) return send(res, 403, { errors: ["permission denied"] });
    const m = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(req.url ?? "");
    // Vault takes writes as POST or PUT (its Go client uses PUT).
    if ((req.method !== "POST" && req.method !== "PUT") || !m)
      return send(res, 404, { errors: ["no handler for route"] });
    const [, mount, op, name] = m as unknown as [string, string, "encrypt" | "decrypt", string];
    count(calls, op);
    const id = `${mount}/${name}`;
    if (!keys.has(id)) keys.set(id, randomBytes(32));
    const key = keys.get(id) as Buffer;
    const input = JSON.parse(body) as { plaintext?: string; ciphertext?: string };
    if (op === "encrypt") {
      const sealed = seal(key, Buffer.from(input.plaintext ?? "", "base64"), id);
      return send(res, 200, {
        data: { ciphertext: `vault:v1:${sealed.toString("base64")}`, key_version: 1 },
      });
    }
    const text = input.ciphertext ?? "";
    if (!text.startsWith("vault:v1:")) return send(res, 400, { errors: ["invalid ciphertext: no prefix"] });
    try {
      const plain = open(key, Buffer.from(text.slice(9), "base64"), id);
      return send(res, 200, { data: { plaintext: plain.toString("base64") } });
    } catch {
      return send(res, 400, { errors: ["cipher: message authentication failed"] });
    }
  });
  return listen(server, calls);
}

/** Checks SigV4 as AWS does: rebuilds the canonical request from what arrived on the wire. */
function verifySigV4(
  req: IncomingMessage,
  body: string,
  secretFor: (accessKeyId: string) => string,
): boolean {
  const auth = String(req.headers.authorization ?? "");
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return false;
  const [, accessKeyId, day, region, service, signed, signature] = m as unknown as string[];
  const secret = secretFor(accessKeyId as string);
  const names = (signed as string).split(";");
  const canonical = [
    req.method,
    "/",
    "",
    names.map((n) => `${n}:${String(req.headers[n] ?? "").trim()}\n`).join(""),
    signed,
    createHash("sha256").update(body).digest("hex"),
  ].join("\n");
  const date = String(req.headers["x-amz-date"]);
  const toSign = [
    "AWS4-HMAC-SHA256",
    date,
    `${day}/${region}/${service}/aws4_request`,
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  const expected = createHmac(
    "sha256",
    signingKey(secret, day as string, region as string, service as string),
  )
    .update(toSign)
    .digest("hex");
  return expected === signature && names.includes("host") && names.includes("x-amz-date");
}

/**
 * AWS KMS JSON 1.1 (`X-Amz-Target: TrentService.Encrypt|Decrypt`) and STS `AssumeRole` (query
 * API, XML answer) on one port, SigV4-checked: long-term keys sign with `secretAccessKey`; assumed
 * roles get temporary keys that must come with their session token.
 */
export async function startKmsStandIn(
  secretAccessKey: string,
): Promise<StandIn & { readonly roles: string[] }> {
  const master = randomBytes(32);
  const calls = new Map<string, number>();
  const roles: string[] = [];
  const issued = new Map<string, { secret: string; token: string }>();
  const server = httpsServer(async (req, res) => {
    const body = await readBody(req);
    const type = "application/x-amz-json-1.1";
    const secretFor = (id: string) => issued.get(id)?.secret ?? secretAccessKey;
    const keyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
    const temporary = issued.get(keyId);
    if (
      !verifySigV4(req, body, secretFor) ||
      (temporary && req.headers["x-amz-security-token"] !== temporary.token)
    ) {
      return send(
        res,
        403,
        { __type: "InvalidSignatureException", message: "The request signature does not match" },
        type,
      );
    }
    if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      const form = new URLSearchParams(body);
      if (form.get("Action") !== "AssumeRole") return send(res, 400, { __type: "InvalidAction" }, type);
      count(calls, "AssumeRole");
      roles.push(`${form.get("RoleArn")} ${form.get("RoleSessionName")}`);
      const id = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
      const credentials = {
        secret: randomBytes(20).toString("base64"),
        token: randomBytes(32).toString("base64"),
      };
      issued.set(id, credentials);
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${credentials.secret}</SecretAccessKey><SessionToken>${credentials.token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
      );
      return;
    }
    const action = String(req.headers["x-amz-target"] ?? "").replace("TrentService.", "");
    count(calls, action);
    const input = JSON.parse(body) as {
      KeyId?: string;
      Plaintext?: string;
      CiphertextBlob?: string;
      EncryptionContext?: Record<string, string>;
    };
    const context = JSON.stringify(Object.entries(input.EncryptionContext ?? {}).sort());
    if (action === "Encrypt") {
      const aad = `${input.KeyId}|${context}`;
      const sealed = seal(master, Buffer.from(input.Plaintext ?? "", "base64"), aad);
      const blob = Buffer.concat([Buffer.from(`${input.KeyId}\n`), sealed]).toString("base64");
      return send(res, 200, { CiphertextBlob: blob, KeyId: input.KeyId }, type);
    }
    if (action === "Decrypt") {
      const raw = Buffer.from(input.CiphertextBlob ?? "", "base64");
      const nl = raw.indexOf(10);
      const keyId = raw.subarray(0, nl).toString();
      try {
        const plain = open(master, raw.subarray(nl + 1), `${keyId}|${context}`);
        return send(res, 200, { Plaintext: plain.toString("base64"), KeyId: keyId }, type);
      } catch {
        return send(res, 400, { __type: "InvalidCiphertextException", message: "" }, type);
      }
    }
    return send(res, 400, { __type: "UnknownOperationException" }, type);
  });
  return { ...(await listen(server, calls)), roles };
}
