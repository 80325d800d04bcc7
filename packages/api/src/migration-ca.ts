// The console's own certificate authority for moves between hosts (ADR 0044). Made once in
// <console data>/migration-ca/ (key mode 0600, folder 0700); for each move it issues the target a
// server certificate naming the address it listens on and the source a client certificate, both
// valid for a day, and hands them to the hosts with the move. One way, as the console's https pair
// (apps/console/src/server/tls.server.ts): Node makes every key and writes it 0600 itself, openssl
// signs (argv arrays, never a shell string).
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { MigrationTls } from "@guesthouse/shared/host-migration-api";

const run = promisify(execFile);
const CA_DAYS = "3650";
const LEAF_DAYS = "1";

const newKeyPem = () =>
  generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim().split("\n").slice(-1)[0]}`);
  }
}

/** A name for a SAN: IP:… for an address, DNS:… for a host name. */
export const sanOf = (address: string) => `${isIP(address) ? "IP" : "DNS"}:${address}`;

const made = new Map<string, Promise<{ certPath: string; keyPath: string; cert: string }>>();

/** The CA's files under `dataDir`, made on first use (once per process, even when two moves ask at once). */
export function migrationCa(dataDir: string): Promise<{ certPath: string; keyPath: string; cert: string }> {
  const dir = join(resolve(dataDir), "migration-ca");
  let ca = made.get(dir);
  if (!ca) {
    ca = ensureCa(dir);
    made.set(dir, ca);
    ca.catch(() => made.delete(dir));
  }
  return ca;
}

async function ensureCa(dir: string) {
  const certPath = join(dir, "ca.pem");
  const keyPath = join(dir, "ca.key");
  const existing = await readFile(certPath, "utf8").catch(() => null);
  if (existing) return { certPath, keyPath, cert: existing };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmpKey = `${keyPath}.${process.pid}.tmp`;
  const tmpCert = `${certPath}.${process.pid}.tmp`;
  await writeFile(tmpKey, newKeyPem(), { mode: 0o600 });
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    tmpKey,
    "-out",
    tmpCert,
    "-sha256",
    "-days",
    CA_DAYS,
    "-subj",
    "/O=Guesthouse/CN=Guesthouse migration CA",
  ]);
  await rename(tmpKey, keyPath);
  await rename(tmpCert, certPath);
  return { certPath, keyPath, cert: await readFile(certPath, "utf8") };
}

/** A leaf certificate for one end of one move: `names` go into its subjectAltName. */
export async function issueMigrationCert(dataDir: string, p: { cn: string; names: string[] }): Promise<MigrationTls> {
  const ca = await migrationCa(dataDir);
  const work = await mkdtemp(join(tmpdir(), "gh-mig-leaf-"));
  try {
    const f = (n: string) => join(work, n);
    const key = newKeyPem();
    await writeFile(f("leaf.key"), key, { mode: 0o600 });
    await writeFile(
      f("leaf.ext"),
      `subjectAltName=${p.names.join(",")}\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    const cn = p.cn.replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 64);
    await openssl(["req", "-new", "-key", f("leaf.key"), "-out", f("leaf.csr"), "-subj", `/O=Guesthouse/CN=${cn}`]);
    const serial = `0x${randomBytes(16).toString("hex")}`;
    await openssl(
      ["x509", "-req", "-in", f("leaf.csr"), "-CA", ca.certPath, "-CAkey", ca.keyPath, "-set_serial", serial].concat([
        "-sha256",
        "-days",
        LEAF_DAYS,
        "-extfile",
        f("leaf.ext"),
        "-out",
        f("leaf.pem"),
      ]),
    );
    return { caCert: ca.cert, cert: await readFile(f("leaf.pem"), "utf8"), key };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
