/**
 * The x509 files of one migration in the layout QEMU's `tls-creds-x509` reads (ca-cert.pem plus
 * server-* or client-*), in the VM's folder where only QEMU's user and root can reach them, and the
 * QMP object that points at them. Removed when the migration ends either way.
 */
import { chown, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { QmpClient } from "@guesthouse/qemu/qmp";
import type { MigrationTls } from "@guesthouse/shared/host-migration-api";
import type { GuestUser } from "../guest-user.ts";

export const TLS_OBJECT = "mig-tls";
export type TlsEndpoint = "server" | "client";

export const tlsDir = (vmDir: string) => join(vmDir, "migration-tls");

/** `owner`: QEMU's own user, who must read them (ADR 0025); undefined: root's alone. */
export async function writeTlsFiles(p: {
  vmDir: string;
  tls: MigrationTls;
  endpoint: TlsEndpoint;
  owner: GuestUser | undefined;
}): Promise<string> {
  const dir = tlsDir(p.vmDir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o700 });
  const entries: [string, string][] = [
    ["ca-cert.pem", p.tls.caCert],
    [`${p.endpoint}-cert.pem`, p.tls.cert],
    [`${p.endpoint}-key.pem`, p.tls.key],
  ];
  for (const [name, text] of entries) await writeFile(join(dir, name), text, { mode: 0o600 });
  if (p.owner?.dedicated) {
    for (const f of [dir, ...entries.map(([n]) => join(dir, n))]) await chown(f, p.owner.uid, p.owner.gid);
  }
  return dir;
}

export async function addTlsObject(qmp: QmpClient, dir: string, endpoint: TlsEndpoint): Promise<void> {
  await qmp.execute("object-add", { "qom-type": "tls-creds-x509", id: TLS_OBJECT, dir, endpoint, "verify-peer": true });
}

/** Best effort: QEMU may be gone already. */
export async function removeTls(qmp: QmpClient | undefined, vmDir: string): Promise<void> {
  if (qmp && !qmp.closed) await qmp.execute("object-del", { id: TLS_OBJECT }).catch(() => undefined);
  await rm(tlsDir(vmDir), { recursive: true, force: true });
}
