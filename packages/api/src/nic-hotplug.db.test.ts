// NICs added to a running VM through the console API, against the real host service `npm test`
// started (in its own network namespace): the host hot-plugs the NIC into the running QEMU; a legacy
// VM and a VM with a RAM snapshot are refused with the reason before anything is journaled; and a
// plug the DB had committed but the host never heard (a console that died) is finished by reconcile.
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { after, before, test } from "node:test";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { freshMac } from "./nic-record.ts";
import { reconcileTasks } from "./task-reconcile.ts";
import { specForVm } from "./vm-spec.ts";

let w: ApiWorld;
let host: HostClient;
let networkId: string;
const made: string[] = [];

before(async () => {
  w = await apiWorld({ realHost: true });
  host = createHostClient({ url: process.env.HOST_URL!, token: process.env.HOST_TOKEN! });
  const suffix = randomBytes(4).toString("hex");
  const subnet = `10.${randomInt(150, 199)}.${randomInt(0, 255)}.0/24`;
  const net = await w.t.db.network.create({
    data: { name: `hp-${suffix}`, hostId: w.hostId, kind: "nat", bridge: `ghbrh${suffix}`, subnet },
  });
  networkId = net.id;
  await host.network.ensure.mutate({ network: { id: net.id, kind: "nat", bridge: net.bridge!, subnet } });
});
after(async () => {
  for (const id of made) {
    await host.vm.powerOff.mutate({ id }).catch(() => undefined);
    await host.vm.delete.mutate({ id, deleteDisks: true }).catch(() => undefined);
  }
  await host.network.remove.mutate({ id: networkId }).catch(() => undefined);
  await w.t.drop();
});

/** A running diskless VM (its firmware finds nothing to boot and waits), on the host and in the DB. */
async function runningVm(profile: "modern" | "legacy" = "modern"): Promise<{ id: string; name: string }> {
  const id = `vhp${randomBytes(5).toString("hex")}`;
  const name = `hp-${id.slice(-6)}`;
  made.push(id);
  await w.t.db.vm.create({ data: { id, name, hostId: w.hostId, memoryMiB: 64, profile, state: "running" } });
  await host.vm.define.mutate({ id, spec: await specForVm(w.t.db, id) });
  await host.vm.start.mutate({ id });
  return { id, name };
}

const hostMacs = async (id: string) => (await host.vm.get.query({ id })).spec.nics.map((n) => n.mac);

test("a NIC added to a running modern VM is hot-plugged: the VM runs on and its host has the NIC", async () => {
  const admin = await w.makeUser("admin", [{ role: "Administrator" }]);
  const v = await runningVm();
  const nic = await admin.api.vm.nicAdd({ vmId: v.id, networkId });
  const view = await host.vm.get.query({ id: v.id });
  assert.equal(view.state, "running");
  assert.deepEqual(
    view.spec.nics.map((n) => n.mac),
    [nic.mac],
  );
  const task = await w.t.db.task.findFirstOrThrow({ where: { vmId: v.id, kind: "vm.nicAdd" }, select: { state: true } });
  assert.equal(task.state, "succeeded");
});

test("refused with the reason, before any task: a running legacy VM, and a VM with a RAM snapshot", async () => {
  const admin = await w.makeUser("admin2", [{ role: "Administrator" }]);
  const legacy = await runningVm("legacy");
  await assert.rejects(
    admin.api.vm.nicAdd({ vmId: legacy.id, networkId }),
    /has the legacy profile \(i440fx\), whose NICs are not hot-plugged/,
  );
  const modern = await runningVm();
  await w.t.db.snapshot.create({ data: { vmId: modern.id, name: "before-upgrade", tag: "t1", withRam: true } });
  await assert.rejects(
    admin.api.vm.nicAdd({ vmId: modern.id, networkId }),
    /has RAM snapshot\(s\) 'before-upgrade' taken with its present NICs, which could not be restored after adding a NIC/,
  );
  for (const v of [legacy, modern]) {
    assert.equal(await w.t.db.nic.count({ where: { vmId: v.id } }), 0);
    assert.equal(await w.t.db.task.count({ where: { vmId: v.id } }), 0, "nothing was journaled");
    assert.deepEqual(await hostMacs(v.id), []);
  }
});

test("a hot-plug the DB committed but the host never heard is finished by reconcile, on the running guest", async () => {
  const v = await runningVm();
  const mac = await freshMac(w.t.db);
  await w.t.db.nic.create({ data: { vmId: v.id, slot: 0, networkId, mac, model: "virtio-net-pci" } });
  const task = await w.t.db.task.create({
    data: { kind: "vm.nicAdd", vmId: v.id, vmName: v.name, hostId: w.hostId, actorName: "a@test.local", state: "running", owner: "gone" },
  });
  await w.t.db.auditEvent.create({ data: { action: "vm.nicAdd", vmId: v.id, vmName: v.name, outcome: "success", taskId: task.id } });
  assert.deepEqual(await hostMacs(v.id), [], "the console died before the host heard");
  await reconcileTasks(w.t.db, host, w.hostId);
  const done = await w.t.db.task.findUniqueOrThrow({ where: { id: task.id }, select: { state: true } });
  assert.equal(done.state, "succeeded");
  const view = await host.vm.get.query({ id: v.id });
  assert.equal(view.state, "running", "plugged live, not by a restart");
  assert.deepEqual(
    view.spec.nics.map((n) => n.mac),
    [mac],
  );
});
