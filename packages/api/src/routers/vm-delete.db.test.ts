// Deleting a VM someone is using is refused with the reason, unless forced; forced, the console
// disconnects the viewers with a reason, powers the guest off, and the host drops its disks.
// Discarding a suspended VM's saved state is a power operation, audited like the others. These
// run against the real host service of `npm test`'s stack (HOST_URL/HOST_TOKEN): a blank VM with
// a small disk boots into its firmware, which is all a running QEMU needs to be.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createCaller } from "../root.ts";
import { createContextInner } from "../context.ts";
import { recordHeartbeat } from "../host-heartbeat.ts";
import { createHostGateway, type HostClient } from "../host-gateway.ts";
import { displayViewers } from "../display/viewers.ts";
import { recordVmState } from "../vm-state.ts";

const ADMIN = "deleter@test.local";

function conflict(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TRPCError, String(error));
    assert.equal(error.code, "CONFLICT");
    assert.match(error.message, pattern);
    return true;
  };
}

describe("vm.delete while in use, and vm.discardSaved", () => {
  let t: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let host: HostClient;
  let vmId = "";
  const vmName = `del-${Math.random().toString(36).slice(2, 8)}`;
  const disconnected: string[] = [];
  let follower: { unsubscribe(): void } | undefined;
  /** The DB's state of the VM once it says `state`: the host's events write it, as the console's state sync does. */
  async function recorded(state: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const row = await t.db.vm.findUniqueOrThrow({ where: { id: vmId }, select: { state: true } });
      if (row.state === state || Date.now() > deadline) return row.state;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const watch = (email: string) =>
    displayViewers.add({ vmId, userId: "u-watcher", userEmail: email, mode: "view", disconnect: (reason) => disconnected.push(reason) });

  before(async () => {
    assert.ok(process.env.HOST_URL && process.env.HOST_TOKEN, "run through `npm test` (scripts/test.ts db), which starts a host");
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    const hostRow = await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL, tokenHash: "-" } });
    const gateway = createHostGateway(t.db, process.env.HOST_TOKEN);
    host = await gateway.forHost(hostRow.id);
    // What the console's heartbeat does: placement reads the host's reported capacity.
    await recordHeartbeat(t.db, hostRow.id, await host.host.info.query());
    const user = await t.db.user.create({ data: { email: ADMIN, name: "Deleter", passwordHash: "!" } });
    const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    await t.db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
    const session = await t.db.session.create({ data: { tokenHash: "t", userId: user.id, expiresAt: new Date(Date.now() + 600_000) } });
    caller = createCaller(
      createContextInner({
        db: t.db,
        hosts: gateway,
        ip: "test",
        secureCookies: false,
        user: { id: user.id, email: user.email, name: user.name, sessionId: session.id },
      }),
    );
    vmId = (await caller.vm.create({ name: vmName, source: { kind: "blank" }, memoryMiB: 32, diskGiB: 0.01 })).id;
    // The one writer of power state is the host's event stream; here in miniature, as state sync follows it.
    follower = host.vm.events.subscribe(
      { id: vmId },
      {
        onData: (envelope) => {
          const e = "data" in envelope ? envelope.data : envelope;
          if (e.type === "state") void recordVmState(t.db, e.vmId, e.state, e.reason, e.version);
        },
      },
    );
  });
  after(async () => {
    follower?.unsubscribe();
    for (const v of displayViewers.forVm(vmId)) displayViewers.remove(v.id);
    // Only if a test failed half-way: leave nothing running on the shared host.
    await host.vm.powerOff.mutate({ id: vmId }).catch(() => undefined);
    await host.vm.delete.mutate({ id: vmId, deleteDisks: true }).catch(() => undefined);
    await t.drop();
  });

  test("a running VM is not deleted without force: the reason says to power it off first", async () => {
    assert.equal((await caller.vm.start({ vmId })).state, "running");
    assert.equal(await recorded("running"), "running");
    await assert.rejects(caller.vm.delete({ vmId }), conflict(new RegExp(`^VM '${vmName}' is running: power it off first`)));
    assert.ok(await t.db.vm.findUnique({ where: { id: vmId } }), "the row stays");
    assert.equal((await host.vm.get.query({ id: vmId })).state, "running", "the guest keeps running");
  });

  test("discardSaved drops a suspended VM's saved state (it is stopped after), audited; with none to drop it refuses", async () => {
    assert.equal((await caller.vm.save({ vmId })).state, "suspended");
    assert.equal(await recorded("suspended"), "suspended");
    assert.equal((await caller.vm.discardSaved({ vmId })).state, "stopped");
    assert.equal(await recorded("stopped"), "stopped");
    assert.equal((await host.vm.get.query({ id: vmId })).state, "stopped");
    await assert.rejects(caller.vm.discardSaved({ vmId }), conflict(new RegExp(`'${vmName}' has no saved state`)));
    const events = await t.db.auditEvent.findMany({ where: { action: "vm.discardSaved", vmId }, orderBy: { at: "asc" } });
    // The second call is refused by the operations table before the host is asked: nothing was tried.
    assert.deepEqual(
      events.map((e) => e.outcome),
      ["success"],
    );
  });

  test("a stopped VM someone is watching is not deleted without force: the reason names the watchers", async () => {
    watch("watcher@test.local");
    await assert.rejects(caller.vm.delete({ vmId }), conflict(/^1 person is watching its console \(watcher@test\.local\)/));
    watch("second@test.local");
    await assert.rejects(caller.vm.delete({ vmId }), conflict(/^2 people are watching its console/));
    assert.deepEqual(disconnected, [], "nobody was disconnected by a refusal");
  });

  test("with force, a running and watched VM is deleted: viewers told why, guest powered off, disks gone", async () => {
    assert.equal((await caller.vm.start({ vmId })).state, "running");
    assert.equal(await recorded("running"), "running");
    const disks = (await t.db.disk.findMany({ where: { vmId }, select: { id: true } })).map((d) => d.id);
    assert.equal(disks.length, 1);
    assert.ok(
      (await host.disk.list.query()).some((d) => d.id === disks[0]),
      "the disk is on the host before",
    );

    await caller.vm.delete({ vmId, force: true });

    assert.deepEqual(disconnected, [`the VM was deleted by ${ADMIN}`, `the VM was deleted by ${ADMIN}`]);
    assert.equal(await t.db.vm.findUnique({ where: { id: vmId } }), null);
    assert.ok(!(await host.vm.list.query()).some((v) => v.id === vmId), "the host no longer knows the VM");
    assert.ok(!(await host.disk.list.query()).some((d) => d.id === disks[0]), "its disk is deleted on the host");
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "vm.delete", vmName } });
    assert.equal(event.outcome, "success");
    assert.deepEqual(event.detail, { force: true, poweredOff: true, viewersDisconnected: 2, deletedDisks: disks });
  });
});
