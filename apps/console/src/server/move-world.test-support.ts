/**
 * For the console's move tests (vm-move.int.test.ts, vm-move-host-faults.int.test.ts): a test
 * database, the console's API as an admin, and two real host services, each its own process in its
 * own network namespace, joined by a veth pair that is always deleted; state sync and heartbeats run
 * as in the console. Plus the helpers those tests share: the guest's serial shell, a slowed move.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway, type HostGateway } from "@guesthouse/api";
import type { HostClient } from "@guesthouse/host-client";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { deleteAllTestNetns, makeNetns, vethBetween } from "../../../host/src/net/test-netns.test-support.ts";
import { freePort, HostProcess, IMAGES, TOKEN, until } from "./crash-host.test-support.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startStateSync } from "./state-sync.server.ts";

export const MiB = 1024 * 1024;
const quiet = pino({ level: "silent" });

export interface MoveHost {
  id: string;
  name: string;
  proc: HostProcess;
}

export interface MoveWorld {
  t: TestDatabase;
  consoleData: string;
  user: { id: string; email: string; name: string; sessionId: string };
  admin: ReturnType<typeof createCaller>;
  sync: ReturnType<typeof startStateSync>;
  src: MoveHost;
  dst: MoveHost;
  templateId: string;
  client(hostId: string): HostClient;
  close(): Promise<void>;
}

/** Two hosts, 'src' (10.78.0.1) and 'dst' (10.78.0.2), both online in the console's DB. */
export async function openMoveWorld(tag: string): Promise<MoveWorld> {
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  const t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  const consoleData = await mkdtemp(join(tmpdir(), `gh-${tag}-console-`));
  const dirs = [consoleData];
  const procs: HostProcess[] = [];
  const open = async (name: string, ns: string, addr: string): Promise<MoveHost> => {
    const dir = await mkdtemp(join(tmpdir(), `gh-${tag}-${name}-`));
    dirs.push(dir);
    const proc = new HostProcess(dir, await freePort(), {
      GUESTHOUSE_NETNS: ns,
      HOST_MIGRATION_ADDRESS: addr,
      GUESTHOUSE_DEFAULT_NETWORK: "off",
    });
    procs.push(proc);
    await proc.start();
    const row = await t.db.host.create({ data: { name, url: proc.url, tokenHash: "registered-with-the-console-token" } });
    return { id: row.id, name, proc };
  };
  const srcNs = makeNetns(`${tag}s`);
  const dstNs = makeNetns(`${tag}d`);
  vethBetween({ ns: srcNs, ifname: "mig0", cidr: "10.78.0.1/24" }, { ns: dstNs, ifname: "mig0", cidr: "10.78.0.2/24" });
  const src = await open("src", srcNs, "10.78.0.1");
  const dst = await open("dst", dstNs, "10.78.0.2");

  const gateway = createHostGateway(t.db, TOKEN, { dataDir: consoleData });
  const { sync, stop: stopLoops } = consoleLoops(t, gateway);

  const { user, admin } = await adminCaller(t, gateway, "mover");
  const tpl = await t.db.template.create({
    data: {
      name: "Tiny Linux",
      memoryMiB: 128,
      hostId: src.id,
      kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
    },
  });
  for (const { id } of [src, dst]) {
    await until(
      "both hosts online with their capacity",
      async () => (await t.db.host.findUniqueOrThrow({ where: { id } })).state === "online",
      30_000,
    );
  }
  return {
    t,
    consoleData,
    user,
    admin,
    sync,
    src,
    dst,
    templateId: tpl.id,
    client: (hostId) => (hostId === src.id ? src : dst).proc.client,
    close: async () => {
      stopLoops();
      await emptyAndStop(procs);
      deleteAllTestNetns();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
      await t.drop();
    },
  };
}

/** An Administrator, and the console's API as them. */
export async function adminCaller(t: TestDatabase, hosts: HostGateway, name: string) {
  const row = await t.db.user.create({ data: { email: `${name}@test.local`, name, passwordHash: "!" } });
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: role.id, userId: row.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: name, userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  const user = { id: row.id, email: row.email, name: row.name, sessionId: session.id };
  return { user, admin: createCaller(createContextInner({ db: t.db, hosts, ip: "test", secureCookies: false, user })) };
}

/** State sync and heartbeats as the console runs them, quickened for tests. */
export function consoleLoops(t: TestDatabase, hosts: HostGateway) {
  const sync = startStateSync({ db: t.db, hosts, log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000, discoverEveryMs: 200 });
  const beat = startHostHeartbeat({ db: t.db, hosts, log: quiet, everyMs: 300, unreachableAfterMs: 5000, onRecovered: sync.resync });
  return {
    sync,
    stop: () => {
      beat.stop();
      sync.stop();
    },
  };
}

/** Each host's guests powered off and deleted with their disks, then its service stopped. */
export async function emptyAndStop(procs: Iterable<HostProcess>): Promise<void> {
  for (const p of procs) {
    for (const vm of await p.client.vm.list.query().catch(() => [])) {
      if (vm.pid) await p.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await p.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
    await p.stop();
  }
}

export const serialText = async (c: HostClient, id: string) =>
  Buffer.from((await c.serial.read.query({ id, maxBytes: 65536 })).base64, "base64").toString();

/** Types a line on the VM's serial console and waits for `expect` in what it prints. */
export async function shell(c: HostClient, id: string, line: string, expect: string): Promise<void> {
  await c.serial.write.mutate({ id, data: `${line}\n`, encoding: "utf8" });
  await until(`'${expect}' on ${id}'s serial console`, async () => (await serialText(c, id)).includes(expect), 30_000);
}

export const vmRow = (w: MoveWorld, id: string) => w.t.db.vm.findUniqueOrThrow({ where: { id } });
export const hostVmIds = async (w: MoveWorld, hostId: string) => (await w.client(hostId).vm.list.query()).map((v) => v.id);

/** A tiny Linux VM made on 'src' and running, at its shell prompt. */
export async function runningVm(w: MoveWorld, name: string): Promise<string> {
  const { id } = await w.admin.vm.create({
    name,
    source: { kind: "template", templateId: w.templateId },
    memoryMiB: 128,
    diskGiB: 1 / 64,
    nics: [],
    hostId: w.src.id,
  });
  await w.admin.vm.start({ vmId: id });
  await until(`${name} to run`, async () => (await vmRow(w, id)).state === "running", 60_000);
  await until(`${name}'s shell prompt`, async () => (await serialText(w.client(w.src.id), id)).includes(TINY_PROMPT), 120_000);
  return id;
}

/** Starts a slow move to 'dst' and resolves once its RAM is on its way (the move itself in `move`). */
export async function slowMove(w: MoveWorld, vmId: string): Promise<{ move: Promise<unknown>; taskId: string }> {
  const move = w.admin.vm.migrate({ vmId, targetHostId: w.dst.id, maxBandwidth: 2 * MiB });
  move.catch(() => undefined);
  const task = await until(
    "the move's task to report RAM on its way",
    async () => {
      const row = await w.t.db.task.findFirst({ where: { vmId, kind: "vm.migrate", state: "running" } });
      const detail = row?.detail as { phase?: string; ram?: { transferredBytes: number } | null } | null;
      return row && detail?.phase === "migrating" && (detail.ram?.transferredBytes ?? 0) > 0 ? row : undefined;
    },
    60_000,
  );
  return { move, taskId: task.id };
}

/** The guest answers at the source, the DB says the source, and the target holds nothing. */
export async function assertStillAtSource(w: MoveWorld, vmId: string, nonce: string): Promise<void> {
  assert.equal((await vmRow(w, vmId)).hostId, w.src.id, "the DB still says the source");
  await shell(w.client(w.src.id), vmId, `echo still-${nonce}`, `still-${nonce}`);
  await until("the target's half to be gone", async () => !(await hostVmIds(w, w.dst.id)).includes(vmId), 30_000);
  assert.deepEqual(await w.client(w.src.id).migration.progress.query({ id: vmId }), { id: vmId, moving: false });
}
