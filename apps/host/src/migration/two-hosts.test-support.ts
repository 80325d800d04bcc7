/**
 * Two host services on one machine for the migration tests: each with its own data folder and its
 * own network namespace (its QEMUs, NBD servers and copies run there), joined by a veth pair the
 * test makes and always deletes; plus a throwaway CA from openssl (argv, never a shell string)
 * issuing the target's server and the source's client certificates for one move.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MigrationTls } from "@guesthouse/shared/host-migration-api";
import { destroyHost, openHost, tempDataDir, type TestHost } from "../harness.test-support.ts";
import { deleteAllTestNetns, makeNetns, vethBetween } from "../net/test-netns.test-support.ts";

export const SOURCE_ADDR = "10.77.0.1";
export const TARGET_ADDR = "10.77.0.2";

export interface TwoHosts {
  source: TestHost;
  target: TestHost;
  sourceNs: string;
  targetNs: string;
  /** Certificates for a move towards `to` (its address in the server certificate). */
  tls: { toTarget: { server: MigrationTls; client: MigrationTls }; toSource: { server: MigrationTls; client: MigrationTls } };
  close(): Promise<void>;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA and, per address, a server certificate naming it; one client certificate per side. */
export function throwawayCa(addrs: { server: string; client: string }[]): { server: MigrationTls; client: MigrationTls }[] {
  const dir = mkdtempSync(join(tmpdir(), "gh-mig-ca-"));
  try {
    const f = (n: string) => join(dir, n);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=guesthouse-test-ca"]);
    const issue = (name: string, san: string): MigrationTls => {
      writeFileSync(
        f(`${name}.ext`),
        `subjectAltName=${san}\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
      );
      openssl(["req", ...ec, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${name}`]);
      openssl(
        ["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial"].concat([
          "-out",
          f(`${name}.pem`),
          "-days",
          "2",
          "-extfile",
          f(`${name}.ext`),
        ]),
      );
      return {
        caCert: readFileSync(f("ca.pem"), "utf8"),
        cert: readFileSync(f(`${name}.pem`), "utf8"),
        key: readFileSync(f(`${name}.key`), "utf8"),
      };
    };
    return addrs.map((a, i) => ({ server: issue(`server${i}`, `IP:${a.server}`), client: issue(`client${i}`, `IP:${a.client}`) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function openTwoHosts(): Promise<TwoHosts> {
  const sourceNs = makeNetns("msrc");
  const targetNs = makeNetns("mdst");
  let source: TestHost | undefined;
  let target: TestHost | undefined;
  try {
    vethBetween({ ns: sourceNs, ifname: "mig0", cidr: `${SOURCE_ADDR}/24` }, { ns: targetNs, ifname: "mig0", cidr: `${TARGET_ADDR}/24` });
    source = await openHost(await tempDataDir(), { netns: sourceNs });
    target = await openHost(await tempDataDir(), { netns: targetNs });
    const [toTarget, toSource] = throwawayCa([
      { server: TARGET_ADDR, client: SOURCE_ADDR },
      { server: SOURCE_ADDR, client: TARGET_ADDR },
    ]) as [{ server: MigrationTls; client: MigrationTls }, { server: MigrationTls; client: MigrationTls }];
    const s = source;
    const t = target;
    return {
      source: s,
      target: t,
      sourceNs,
      targetNs,
      tls: { toTarget, toSource },
      close: async () => {
        try {
          await destroyHost(s);
          await destroyHost(t);
        } finally {
          deleteAllTestNetns();
        }
      },
    };
  } catch (err) {
    if (source) await destroyHost(source).catch(() => undefined);
    if (target) await destroyHost(target).catch(() => undefined);
    deleteAllTestNetns();
    throw err;
  }
}

let nextPort = 49_152 + (process.pid % 4000) * 2;
/** Ports on the target's veth address; each namespace has its own port space, so only this file uses them. */
export function endpoint(host: string) {
  const base = nextPort;
  nextPort += 2;
  return { host, migrationPort: base, nbdPort: base + 1 };
}

/** The console's part of a live move, in order: describe, prepare, start, finish, release. */
export async function moveLive(
  from: TestHost,
  to: TestHost,
  id: string,
  tls: { server: MigrationTls; client: MigrationTls },
  to_addr: string,
  opts: { maxBandwidth?: number } = {},
) {
  const d = await from.api.migration.describe({ id });
  const listen = endpoint(to_addr);
  await to.api.migration.prepare({ id, spec: d.spec, disks: d.disks, listen, tls: tls.server });
  const figures = await from.api.migration.start({ id, target: listen, tls: tls.client, ...opts });
  const view = await to.api.migration.finish({ id });
  const released = await from.api.migration.release({ id });
  return { figures, view, released };
}
