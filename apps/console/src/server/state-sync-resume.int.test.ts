/**
 * State sync reads a host's VMs, then follows its event stream. A VM that changes state in between
 * (a console that starts while a VM is booting, a host that comes back mid-start) must still end
 * up recorded as the host has it: the stream resumes from where the list was read, so the change
 * is replayed rather than lost. (Found when save-task-progress.int's VM stayed "starting" for ever
 * one run in three: its "running" event fell between the list and the subscription.)
 *
 * Real parts: the stack's PostgreSQL, the host service as its own process, a real QEMU.
 * The gap is made certain by the test's gateway, which starts the VM just after the host's list
 * was read and before state sync sees that list.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostGateway, specForVm, type HostClient, type HostGateway } from "@guesthouse/api";
import { freePort, HostProcess, TOKEN, until } from "./crash-host.test-support.ts";
import { startStateSync } from "./state-sync.server.ts";

let t: TestDatabase;
let host: HostProcess;
let sync: { stop(): void } | undefined;
const vmId = "vmresume0001";

/** The real gateway, except that the first list it hands state sync is read before the VM starts. */
function startingDuringList(real: HostGateway): HostGateway {
  let first = true;
  const list = async (client: HostClient) => {
    const seen = await client.vm.list.query();
    if (first) {
      first = false;
      await client.vm.start.mutate({ id: vmId });
    }
    return seen;
  };
  const wrap = (client: HostClient) =>
    new Proxy(client, {
      get: (target, key) =>
        key === "vm"
          ? new Proxy(target.vm, { get: (vm, k) => (k === "list" ? { query: () => list(client) } : vm[k as keyof typeof vm]) })
          : target[key as keyof HostClient],
    });
  return { ...real, forHost: async (id) => wrap(await real.forHost(id)) };
}

before(async () => {
  t = await createTestDatabase();
  host = new HostProcess(await mkdtemp(join(tmpdir(), "gh-sync-resume-")), await freePort());
  await host.start();
  const hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-", state: "online" } })).id;
  await t.db.vm.create({ data: { id: vmId, name: "resume", hostId, memoryMiB: 32 } });
  await host.client.vm.define.mutate({ id: vmId, spec: await specForVm(t.db, vmId) });
});

after(async () => {
  sync?.stop();
  await host.client.vm.powerOff.mutate({ id: vmId }).catch(() => undefined);
  await host.client.vm.delete.mutate({ id: vmId, deleteDisks: true }).catch(() => undefined);
  await host.stop();
  await rm(host.dataDir, { recursive: true, force: true });
  await t.drop();
});

test("a VM that starts between state sync's list and its event stream is still recorded running", { timeout: 120_000 }, async () => {
  const hosts = startingDuringList(createHostGateway(t.db, TOKEN));
  sync = startStateSync({ db: t.db, hosts, log: pino({ level: "silent" }), retryMs: 200, reconcileEveryMs: 3_600_000 });
  await until("the host to run the VM", async () => (await host.client.vm.get.query({ id: vmId })).state === "running");
  const row = () => t.db.vm.findUniqueOrThrow({ where: { id: vmId }, select: { state: true } });
  await until("the console to record the VM as running", async () => (await row()).state === "running", 20_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the console has it ${(await row()).state}`);
  });
});
