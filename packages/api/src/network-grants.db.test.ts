// A network is a grant scope (docs/decisions/0051): `network.use` granted on one network lets a
// user put NICs on that network and no other, and list only the networks they may use. The NIC
// changes reach the real host service `npm test` started; the networks are user-mode ones, which
// need nothing made on the host.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { createHostGateway } from "./host-gateway.ts";
import { specForVm } from "./vm-spec.ts";

let w: ApiWorld;
let lab = "";
let office = "";
let vmId = "";

async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, `expected a refusal, got ${String(error)}`);
  return error;
}

before(async () => {
  w = await apiWorld({ realHost: true });
  lab = (await w.t.db.network.create({ data: { name: "lab", hostId: w.hostId, kind: "user" } })).id;
  office = (await w.t.db.network.create({ data: { name: "office", hostId: w.hostId, kind: "user" } })).id;
  w.roles.Configurer = (await w.t.db.role.create({ data: { name: "Configurer", permissions: ["vm.view", "vm.config"] } })).id;
  vmId = `vnetg${Math.random().toString(36).slice(2, 10)}`;
  await w.t.db.vm.create({ data: { id: vmId, name: `netg-${vmId.slice(-6)}`, hostId: w.hostId, memoryMiB: 64, state: "stopped" } });
  const host = await createHostGateway(w.t.db, process.env.HOST_TOKEN!).forHost(w.hostId);
  await host.vm.define.mutate({ id: vmId, spec: await specForVm(w.t.db, vmId) });
});
after(async () => {
  const host = await createHostGateway(w.t.db, process.env.HOST_TOKEN!).forHost(w.hostId);
  await host.vm.delete.mutate({ id: vmId, deleteDisks: true }).catch(() => undefined);
  await w.t.drop();
});

test("network.use on one network: the user lists that network only, and puts a NIC on it but not on another", async () => {
  const user = await w.makeUser("lab-user", [
    { role: "Configurer", vmId },
    { role: "Network user", networkId: lab },
  ]);
  assert.deepEqual(
    (await user.api.network.list()).map((n) => n.name),
    ["lab"],
  );
  const nic = await user.api.vm.nicAdd({ vmId, networkId: lab });
  const host = await createHostGateway(w.t.db, process.env.HOST_TOKEN!).forHost(w.hostId);
  assert.deepEqual(
    (await host.vm.get.query({ id: vmId })).spec.nics?.map((n) => n.mac),
    [nic.mac],
    "the host has the NIC on the granted network",
  );
  const refused = await refusal(user.api.vm.nicAdd({ vmId, networkId: office }));
  assert.equal(refused.code, "FORBIDDEN");
  assert.match(refused.message, /'network\.use' permission to attach a VM to network 'office'/);
  assert.equal(await w.t.db.nic.count({ where: { vmId } }), 1, "nothing was added for the other network");
});

test("a user with no network grant lists no networks (not an error), and a global network.use lists them all", async () => {
  const none = await w.makeUser("no-networks", []);
  assert.deepEqual(await none.api.network.list(), []);
  const everywhere = await w.makeUser("all-networks", [{ role: "Network user" }]);
  assert.deepEqual(
    (await everywhere.api.network.list()).map((n) => n.name),
    ["lab", "office"],
  );
});

test("grants on a network: only a role with network.use, only what the granter holds there, and gone with the network", async () => {
  const admin = await w.makeUser("net-admin", [{ role: "Administrator" }]);
  const subject = await w.makeUser("subject", []);
  const wrongRole = await refusal(admin.api.access.grant({ roleId: w.roles.Operator!, userId: subject.id, networkId: lab }));
  assert.equal(wrongRole.code, "BAD_REQUEST");
  assert.match(wrongRole.message, /roleId: 'Operator' gives nothing on a network/);
  const both = await refusal(admin.api.access.grant({ roleId: w.roles["Network user"]!, userId: subject.id, networkId: lab, vmId }));
  assert.equal(both.code, "BAD_REQUEST");

  // A user admin who may use no network cannot hand out the use of one.
  const helpdesk = await w.makeUser("helpdesk", [{ role: "User admin" }]);
  const beyond = await refusal(helpdesk.api.access.grant({ roleId: w.roles["Network user"]!, userId: subject.id, networkId: lab }));
  assert.equal(beyond.code, "FORBIDDEN");

  const grant = await admin.api.access.grant({ roleId: w.roles["Network user"]!, userId: subject.id, networkId: lab });
  assert.equal(grant.network?.name, "lab");
  const onLab = await admin.api.access.grants({ networkId: lab });
  assert.ok(onLab.some((g) => g.user?.email === subject.email));
  assert.ok(
    onLab.every((g) => g.network?.name === "lab"),
    "the network's grants, and only those",
  );
  assert.deepEqual(
    (await subject.api.network.list()).map((n) => n.name),
    ["lab"],
  );
  const audited = await w.t.db.auditEvent.findFirstOrThrow({
    where: { action: "access.grant", outcome: "success" },
    orderBy: { at: "desc" },
  });
  assert.equal((audited.detail as { network?: string }).network, "lab");

  const spare = await w.t.db.network.create({ data: { name: "spare", hostId: w.hostId, kind: "user" } });
  await admin.api.access.grant({ roleId: w.roles["Network user"]!, userId: subject.id, networkId: spare.id });
  await w.t.db.network.delete({ where: { id: spare.id } });
  assert.equal(await w.t.db.accessGrant.count({ where: { networkId: spare.id } }), 0, "a deleted network's grants go with it");
});
