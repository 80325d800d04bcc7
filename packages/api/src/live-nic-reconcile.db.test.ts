// Port forwards and NIC links as tasks, against a dead console: the real host service (the one
// `npm test` starts, in its own network namespace) ends with the forwards and links the DB holds,
// and the task says whether the change was finished or undone.
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { freshMac } from "./nic-record.ts";
import { reconcileTasks } from "./task-reconcile.ts";
import { specForVm } from "./vm-spec.ts";

let t: TestDatabase;
let host: HostClient;
let hostId: string;
let networkId: string;
const made: string[] = [];

before(async () => {
  assert.ok(process.env.HOST_URL && process.env.HOST_TOKEN, "HOST_URL and HOST_TOKEN name the host service npm test started");
  t = await createTestDatabase();
  host = createHostClient({ url: process.env.HOST_URL, token: process.env.HOST_TOKEN });
  hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL, tokenHash: "-" } })).id;
  const suffix = randomBytes(4).toString("hex");
  const subnet = `10.${randomInt(150, 199)}.${randomInt(0, 255)}.0/24`;
  const net = await t.db.network.create({ data: { name: `fwd-${suffix}`, hostId, kind: "nat", bridge: `ghbrf${suffix}`, subnet } });
  networkId = net.id;
  await host.network.ensure.mutate({ network: { id: net.id, kind: "nat", bridge: `ghbrf${suffix}`, subnet } });
});
after(async () => {
  for (const id of made) await host.vm.delete.mutate({ id, deleteDisks: true }).catch(() => undefined);
  await host.network.remove.mutate({ id: networkId }).catch(() => undefined);
  await t.drop();
});

/** A stopped, diskless VM with one NIC on the test's nat network, on the host and in the DB. */
async function vm(): Promise<{ id: string; name: string; nic: { id: string; mac: string; slot: number } }> {
  const id = `vlive${randomBytes(5).toString("hex")}`;
  const name = `live-${id.slice(-6)}`;
  made.push(id);
  await t.db.vm.create({ data: { id, name, hostId, memoryMiB: 64 } });
  const nic = await t.db.nic.create({
    data: { vmId: id, slot: 0, networkId, mac: await freshMac(t.db), model: "virtio-net-pci" },
    select: { id: true, mac: true, slot: true },
  });
  await host.vm.define.mutate({ id, spec: await specForVm(t.db, id) });
  return { id, name, nic };
}

/** The task a console that died half-way through left behind. */
const orphan = (kind: string, v: { id: string; name: string }, input: object) =>
  t.db.task.create({
    data: { kind, vmId: v.id, vmName: v.name, hostId, actorName: "a@test.local", state: "running", input, owner: "a-console-that-died" },
  });
const closed = (id: string) => t.db.task.findUniqueOrThrow({ where: { id }, select: { state: true, error: true, log: true } });
const hostForwards = async () =>
  ((await host.network.list.query()).find((n) => n.network.id === networkId)?.forwards ?? []).map(
    (f) => `${f.protocol} ${f.hostPort} → ${f.guestMac}:${f.guestPort}`,
  );
const hostLink = async (id: string) => (await host.vm.get.query({ id })).spec.nics[0]?.linkUp;

describe("port forwards and NIC links left by a dead console", () => {
  test("a forward the host added but the DB never committed is removed from the host: undone", async () => {
    const v = await vm();
    const port = randomInt(20000, 40000);
    const task = await orphan("vm.forwardAdd", v, { networkId, protocol: "tcp", hostPort: port, guestPort: 80 });
    // The console died between the host call and its commit: the host forwards, the DB has no row.
    await host.network.addForward.mutate({
      network: networkId,
      forward: { protocol: "tcp", hostPort: port, guestMac: v.nic.mac, guestPort: 80 },
    });
    assert.deepEqual(await hostForwards(), [`tcp ${port} → ${v.nic.mac}:80`]);
    await reconcileTasks(t.db, host, hostId);
    const done = await closed(task.id);
    assert.equal(done.state, "failed");
    assert.match(done.error, /the change had not been recorded, so the host is back to what the console holds/);
    assert.deepEqual(await hostForwards(), [], "the host no longer forwards a port the console does not know");
  });

  test("a forward removal the DB had committed reaches the host: finished", async () => {
    const v = await vm();
    const port = randomInt(40001, 60000);
    const kept = await t.db.portForward.create({
      data: { networkId, nicId: v.nic.id, protocol: "udp", hostPort: port + 1, guestPort: 53 },
    });
    for (const f of [
      { protocol: "tcp" as const, hostPort: port, guestPort: 22 },
      { protocol: "udp" as const, hostPort: kept.hostPort, guestPort: 53 },
    ])
      await host.network.addForward.mutate({ network: networkId, forward: { ...f, guestMac: v.nic.mac } });
    const task = await orphan("vm.forwardRemove", v, { networkId, protocol: "tcp", hostPort: port });
    // The transaction committed (the row is gone, the audit row names the task); the host never heard.
    await t.db.auditEvent.create({ data: { action: "vm.forwardRemove", vmId: v.id, vmName: v.name, outcome: "success", taskId: task.id } });
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(task.id)).state, "succeeded");
    assert.deepEqual(await hostForwards(), [`udp ${port + 1} → ${v.nic.mac}:53`], "only the forward the console holds is left");
    await t.db.portForward.delete({ where: { id: kept.id } });
    await host.network.removeForward.mutate({ network: networkId, protocol: "udp", hostPort: port + 1 });
  });

  test("a link change the host took but the DB never committed is undone on the host; a committed one reaches it", async () => {
    const v = await vm();
    const undone = await orphan("vm.nicLink", v, { nicId: v.nic.id, up: false });
    await host.vm.setLink.mutate({ id: v.id, slot: v.nic.slot, up: false });
    assert.equal(await hostLink(v.id), false);
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(undone.id)).state, "failed");
    assert.equal(await hostLink(v.id), true, "the link is up again, as the console holds");

    const finished = await orphan("vm.nicLink", v, { nicId: v.nic.id, up: false });
    await t.db.nic.update({ where: { id: v.nic.id }, data: { linkUp: false } });
    await t.db.auditEvent.create({ data: { action: "vm.nicLink", vmId: v.id, vmName: v.name, outcome: "success", taskId: finished.id } });
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(finished.id)).state, "succeeded");
    assert.equal(await hostLink(v.id), false, "the host has the link the console recorded");
  });
});
