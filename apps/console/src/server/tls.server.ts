// The console's TLS certificate (docs/decisions/0011-http-and-https.md): the operator's pair from
// TLS_CERT + TLS_KEY, or else a self-signed pair made once into <data>/tls/, as Proxmox and Cockpit do.
// Used by the console at start and by `npm run up` before anything starts, so bad input is one line.
import { execFile } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Its message is the one line that says what is wrong and what to do. */
export class TlsConfigError extends Error {}

export interface TlsMaterial {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  /** As browsers show it: AB:CD:… */
  fingerprint256: string;
  selfSigned: boolean;
}

export interface TlsSource {
  certPath?: string;
  keyPath?: string;
  dataDir: string;
}

const SELF_SIGNED_DAYS = "3650";

export async function loadTls(source: TlsSource): Promise<TlsMaterial> {
  const { certPath, keyPath } = source;
  if (certPath && keyPath) return readPair(path.resolve(certPath), path.resolve(keyPath), false);
  if (certPath || keyPath) {
    const [set, unset] = certPath ? ["TLS_CERT", "TLS_KEY"] : ["TLS_KEY", "TLS_CERT"];
    throw new TlsConfigError(
      `${set} is set but ${unset} is not: set both (the certificate and its private key), or neither for a self-signed pair.`,
    );
  }
  const dir = path.join(path.resolve(source.dataDir), "tls");
  const pair = { cert: path.join(dir, "cert.pem"), key: path.join(dir, "key.pem") };
  const exists = await readFile(pair.cert).then(
    () => true,
    () => false,
  );
  if (!exists) await makeSelfSigned(dir, pair);
  return readPair(pair.cert, pair.key, true);
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${code})`;
    throw new TlsConfigError(
      `${what} ${file} ${why}: point ${what} at a readable PEM file, or unset TLS_CERT and TLS_KEY for a self-signed pair.`,
    );
  }
}

async function readPair(certPath: string, keyPath: string, selfSigned: boolean): Promise<TlsMaterial> {
  const [certVar, keyVar] = selfSigned ? ["The self-signed certificate", "Its key"] : ["TLS_CERT", "TLS_KEY"];
  const cert = await readPem(certPath, certVar);
  const key = await readPem(keyPath, keyVar);
  const regenerate = selfSigned ? ` (delete ${path.dirname(certPath)} to make a new pair)` : "";
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsConfigError(
      `${certVar} ${certPath} is not a PEM certificate: give the certificate file (BEGIN CERTIFICATE)${regenerate}.`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsConfigError(
      `${keyVar} ${keyPath} is not an unencrypted PEM private key: give the key file (BEGIN PRIVATE KEY)${regenerate}.`,
    );
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new TlsConfigError(
      `${keyVar} ${keyPath} does not belong to the certificate ${certPath}: give the key the certificate was issued for${regenerate}.`,
    );
  return { cert, key, certPath, keyPath, fingerprint256: x509.fingerprint256, selfSigned };
}

/** The names a browser on another machine may use: localhost, the host name and its addresses. */
export function selfSignedNames(): string[] {
  const names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];
  const host = os.hostname();
  if (/^[a-z0-9.-]+$/i.test(host) && host !== "localhost") names.push(`DNS:${host}`);
  for (const addresses of Object.values(os.networkInterfaces()))
    for (const a of addresses ?? []) if (!a.internal && !a.address.startsWith("fe80:")) names.push(`IP:${a.address}`);
  return [...new Set(names)];
}

// openssl (argv array, never a shell string) signs; Node makes the key and writes it 0600 itself,
// so it is never readable by others, not even for a moment.
async function makeSelfSigned(dir: string, pair: { cert: string; key: string }): Promise<void> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const tmpKey = `${pair.key}.${process.pid}.tmp`;
  const tmpCert = `${pair.cert}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmpKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlsConfigError(
      `The self-signed certificate cannot be written to ${dir} (${code}): make it writable, or set TLS_CERT and TLS_KEY.`,
    );
  }
  const hostname = os.hostname().slice(0, 64) || "localhost";
  const argv = ["req", "-x509", "-new", "-key", tmpKey, "-out", tmpCert, "-sha256", "-days", SELF_SIGNED_DAYS];
  argv.push("-subj", `/O=Guesthouse/CN=${hostname.replace(/[/\\=+,]/g, "-")}`, "-addext", `subjectAltName=${selfSignedNames().join(",")}`);
  try {
    await new Promise<void>((resolve, reject) =>
      execFile("openssl", argv, { timeout: 20_000 }, (error, _stdout, stderr) =>
        error ? reject(Object.assign(error, { stderr: String(stderr) })) : resolve(),
      ),
    );
  } catch (error) {
    await rm(tmpKey, { force: true });
    await rm(tmpCert, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT")
      throw new TlsConfigError(
        "openssl is needed to make the self-signed certificate: install it (apt-get install -y openssl), or set TLS_CERT and TLS_KEY.",
      );
    throw new TlsConfigError(
      `openssl could not make the self-signed certificate (${e.stderr?.trim().split("\n")[0] ?? e.message}): set TLS_CERT and TLS_KEY instead.`,
    );
  }
  await rename(tmpKey, pair.key);
  await rename(tmpCert, pair.cert);
}
