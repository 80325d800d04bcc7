// Placement (ADR 0035): a new VM goes to the online, non-maintenance host with the most free RAM
// that fits it; a named host is used if it fits; nothing fitting is refused with each host's reason.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { placeVm } from "./placement.ts";

const GIB = 1024n ** 3n;
let w: ApiWorld;
let big: string;
let small: string;

before(async () => {
  w = await apiWorld();
});
after(() => w.t.drop());

async function host(name: string, data: { free: bigint; cores?: number; kvm?: boolean; models?: string[] }) {
  return (
    await w.t.db.host.create({
      data: {
        name,
        url: `http://127.0.0.1:9/${name}`,
        tokenHash: "-",
        state: "online",
        lastSeenAt: new Date(),
        cores: data.cores ?? 4,
        memoryBytes: data.free * 2n,
        memoryFreeBytes: data.free,
        kvm: data.kvm ?? false,
        cpuModels: data.models ?? ["x86-64-v2", "qemu64", "x86-64-v1"],
      },
    })
  ).id;
}

beforeEach(async () => {
  await w.t.db.network.deleteMany({});
  await w.t.db.host.deleteMany({ where: { NOT: { id: w.hostId } } });
  // The world's "local" host has never reported: it takes nothing.
  big = await host("big", { free: 8n * GIB, cores: 2 });
  small = await host("small", { free: 2n * GIB, cores: 8, kvm: true, models: ["host", "qemu64"] });
});

const needs = (n: Partial<Parameters<typeof placeVm>[1]> = {}) => ({
  memoryMiB: 256,
  cpus: 1,
  cpuModel: "auto" as const,
  networkIds: [],
  ...n,
});

async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  assert.ok(e instanceof TRPCError, "refused");
  return e;
}

test("the host with the most free RAM that fits takes the VM", async () => {
  assert.equal((await placeVm(w.t.db, needs())).hostName, "big");
  // More CPUs than big has: small, though it has less RAM free.
  assert.equal((await placeVm(w.t.db, needs({ cpus: 4 }))).hostName, "small");
  // Host passthrough needs KVM and the model: only small.
  assert.equal((await placeVm(w.t.db, needs({ cpuModel: "host" }))).hostName, "small");
  assert.equal((await placeVm(w.t.db, needs({ cpuModel: "x86-64-v2" }))).hostName, "big");
});

test("a VM goes where its networks are", async () => {
  const net = await w.t.db.network.create({ data: { name: "on-small", hostId: small, kind: "user" } });
  assert.equal((await placeVm(w.t.db, needs({ networkIds: [net.id] }))).hostName, "small");
  const err = await refusal(placeVm(w.t.db, needs({ networkIds: [net.id], cpuModel: "x86-64-v2" })));
  assert.match(err.message, /'big' does not have the VM's network/);
  assert.equal((await refusal(placeVm(w.t.db, needs({ networkIds: ["nope"] })))).code, "BAD_REQUEST");
});

test("a host in maintenance takes no new placements", async () => {
  await w.t.db.host.update({ where: { id: big }, data: { maintenance: true } });
  assert.equal((await placeVm(w.t.db, needs())).hostName, "small");
  const err = await refusal(placeVm(w.t.db, needs({ hostId: big })));
  assert.equal(err.code, "CONFLICT");
  assert.match(err.message, /'big' is in maintenance/);
});

test("when nothing fits, the refusal names each host and the resource it lacks", async () => {
  const err = await refusal(placeVm(w.t.db, needs({ memoryMiB: 16 * 1024 })));
  assert.equal(err.code, "CONFLICT");
  assert.match(err.message, /^No host can take this VM: /);
  assert.match(err.message, /'big' has 8192 MiB of RAM free; the VM needs 16384 MiB/);
  assert.match(err.message, /'small' has 2048 MiB of RAM free/);
  assert.match(err.message, /'local' is not reporting yet/);
  await w.t.db.host.update({ where: { id: small }, data: { state: "unreachable" } });
  assert.match((await refusal(placeVm(w.t.db, needs({ cpus: 4 })))).message, /'small' is unreachable.*|'big' has 2 CPUs; the VM needs 4/);
});

test("a named host is used when it fits, even if another has more room, and refused with its reason when not", async () => {
  assert.equal((await placeVm(w.t.db, needs({ hostId: small }))).hostName, "small");
  const err = await refusal(placeVm(w.t.db, needs({ hostId: big, cpus: 4 })));
  assert.match(err.message, /^The VM cannot go there: 'big' has 2 CPUs; the VM needs 4/);
  assert.equal((await refusal(placeVm(w.t.db, needs({ hostId: "missing" })))).code, "BAD_REQUEST");
});

test("vm.create is refused with the placement's reason before any host is asked", async () => {
  const creator = await w.makeUser("creator", [{ role: "Creator" }]);
  const err = await refusal(creator.api.vm.create({ name: "too-big", source: { kind: "blank" }, memoryMiB: 64 * 1024 }));
  assert.equal(err.code, "CONFLICT");
  assert.match(err.message, /No host can take this VM: .*'big' has 8192 MiB of RAM free; the VM needs 65536 MiB/);
  assert.equal(await w.t.db.vm.count({ where: { name: "too-big" } }), 0);
  // The wizard's preview says the same, without throwing.
  const preview = await creator.api.host.placement({ memoryMiB: 64 * 1024 });
  assert.equal(preview.ok, false);
  assert.deepEqual(await creator.api.host.placement({}), { ok: true, hostId: big, hostName: "big" });
});
