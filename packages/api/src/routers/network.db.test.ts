// Networks and NICs in the console's database: MACs unique across the installation, the refusals a
// person sees (overlap, in use, more than 8 NICs, NIC changes while running), and who may do what.
// Nothing here reaches a host: every call below is refused, or is a user-mode network (no host side).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MAX_NICS } from "@guesthouse/shared/network";
import { apiWorld, refused, type ApiWorld } from "../api-world.test-support.ts";
import { freshMac } from "../nic-record.ts";

let w: ApiWorld;
let admin: Awaited<ReturnType<ApiWorld["makeUser"]>>;
let vmId: string;

before(async () => {
  w = await apiWorld();
  admin = await w.makeUser("admin", [{ role: "Administrator" }]);
  vmId = (await w.t.db.vm.create({ data: { id: "vnettest01", name: "net-test", hostId: w.hostId } })).id;
});
after(() => w.t.drop());

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail("expected a refusal"),
    (e: Error) => e,
  );
}

test("a MAC is unique across the installation: the database refuses a second NIC with it", async () => {
  const net = await w.t.db.network.create({ data: { name: "mac-net", hostId: w.hostId, kind: "user" } });
  const other = await w.t.db.vm.create({ data: { id: "vnettest02", name: "net-test-2", hostId: w.hostId } });
  const mac = await freshMac(w.t.db);
  assert.match(mac, /^5e(:[0-9a-f]{2}){5}$/);
  await w.t.db.nic.create({ data: { vmId, slot: 0, networkId: net.id, mac, model: "virtio-net-pci" } });
  await assert.rejects(
    w.t.db.nic.create({ data: { vmId: other.id, slot: 0, networkId: net.id, mac, model: "virtio-net-pci" } }),
    /Unique constraint/,
  );
  assert.notEqual(await freshMac(w.t.db), mac, "a fresh MAC is never one a NIC has");
  await w.t.db.nic.deleteMany({});
  await w.t.db.network.delete({ where: { id: net.id } });
});

test("a user-mode network is made and listed, a second of the same name is refused", async () => {
  const { id } = await admin.api.network.create({ kind: "user", name: "fallback" });
  const list = await admin.api.network.list();
  assert.deepEqual(
    list.filter((n) => n.id === id).map((n) => ({ name: n.name, kind: n.kind, bridge: n.bridge })),
    [{ name: "fallback", kind: "user", bridge: null }],
  );
  assert.match((await rejection(admin.api.network.create({ kind: "user", name: "fallback" }))).message, /name: a network named 'fallback'/);
  const task = await w.t.db.task.findFirst({ where: { kind: "network.create" }, select: { state: true } });
  assert.equal(task?.state, "succeeded", "the change ran as a task");
  await admin.api.network.delete({ networkId: id });
});

test("an overlapping subnet is refused before the host is asked, naming the network it overlaps", async () => {
  await w.t.db.network.create({ data: { name: "lab", hostId: w.hostId, kind: "nat", bridge: "ghbrlab", subnet: "10.50.0.0/24" } });
  const err = await rejection(admin.api.network.create({ kind: "nat", name: "lab2", subnet: "10.50.0.0/16" }));
  assert.match(err.message, /subnet: 10\.50\.0\.0\/16 overlaps network 'lab' \(10\.50\.0\.0\/24\)/);
  assert.match(
    (await rejection(admin.api.network.create({ kind: "nat", name: "bad", subnet: "10.50.0.1/24" }))).message,
    /an IPv4 network such as/,
  );
  assert.equal(await w.t.db.network.count({ where: { name: { in: ["lab2", "bad"] } } }), 0, "nothing was made");
});

test("deleting a network in use is refused with the VMs that use it", async () => {
  const net = await w.t.db.network.create({ data: { name: "busy", hostId: w.hostId, kind: "user" } });
  await w.t.db.nic.create({ data: { vmId, slot: 0, networkId: net.id, mac: await freshMac(w.t.db), model: "virtio-net-pci" } });
  const err = await rejection(admin.api.network.delete({ networkId: net.id }));
  assert.match(err.message, /Network 'busy' is in use by 'net-test': remove their NICs first/);
  assert.ok(await w.t.db.network.findUnique({ where: { id: net.id } }), "the network is still there");
  await w.t.db.nic.deleteMany({ where: { networkId: net.id } });
});

test("NICs do not change while the VM is paused (the operations table), and at most 8 come with a new VM", async () => {
  const net = await w.t.db.network.findFirstOrThrow({ where: { name: "busy" } });
  await w.t.db.vm.update({ where: { id: vmId }, data: { state: "paused" } });
  const err = await rejection(admin.api.vm.nicAdd({ vmId, networkId: net.id }));
  assert.match(err.message, /VM 'net-test' is paused; resume it, or power it off, before adding a NIC/);
  await w.t.db.vm.update({ where: { id: vmId }, data: { state: "stopped" } });
  const nine = Array.from({ length: MAX_NICS + 1 }, () => ({ networkId: net.id }));
  await refused(admin.api.vm.create({ name: "too-many", source: { kind: "blank" }, nics: nine }), "BAD_REQUEST");
  assert.match(
    (await rejection(admin.api.vm.create({ name: "too-many", source: { kind: "blank" }, nics: nine }))).message,
    /"nics"[\s\S]*"At most 8 NICs"/,
  );
});

test("attaching a NIC needs network.use besides vm.config", async () => {
  await w.t.db.role.create({ data: { name: "Configurer", permissions: ["vm.view", "vm.config"] } });
  const roles = Object.fromEntries((await w.t.db.role.findMany({ select: { id: true, name: true } })).map((r) => [r.name, r.id]));
  Object.assign(w.roles, roles);
  const configurer = await w.makeUser("configurer", [{ role: "Configurer", vmId }]);
  const net = await w.t.db.network.findFirstOrThrow({ where: { name: "busy" } });
  const err = await rejection(configurer.api.vm.nicAdd({ vmId, networkId: net.id }));
  assert.match(err.message, /You need the 'network.use' permission to attach a VM to network 'busy'/);
  assert.equal(await w.t.db.nic.count({ where: { vmId } }), 0, "no NIC was added");
});
