// What callers see (ADR 0015): host facts, live VM figures, viewers, a VM's activity and the media
// library, as users with some access and none.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { displayViewers } from "./display/viewers.ts";

describe("what a caller sees is bounded by what they may do", () => {
  let w: ApiWorld;
  before(async () => {
    w = await apiWorld();
  });
  after(async () => w.t.drop());

  test("media.list names only the VMs the caller may see", async () => {
    const uploaderRole = await w.t.db.role.create({ data: { name: `uploader-${Date.now()}`, permissions: ["media.upload"] } });
    const up = await w.makeUser("uploader");
    await w.t.db.accessGrant.create({ data: { roleId: uploaderRole.id, userId: up.id, scope: "global" } });
    const media = await w.t.db.media.create({
      data: { name: `m-${Date.now()}.iso`, kind: "iso", path: "/x", sizeBytes: 1n, sha256: "-", hostId: w.hostId },
    });
    const vm = await w.t.db.vm.create({ data: { name: `hidden-vm-${Date.now()}`, hostId: w.hostId, mediaId: media.id } });
    const listed = await up.api.media.list();
    assert.ok(!JSON.stringify(listed).includes(vm.name), "the hidden VM's name is not in the list");
    assert.equal(listed.find((m) => m.id === media.id)?.otherVms, 1);
    const error = await up.api.media.delete({ mediaId: media.id }).catch((e: Error) => e);
    assert.ok(error instanceof TRPCError && error.code === "CONFLICT");
    assert.ok(!error.message.includes(vm.name), error.message);
    await w.t.db.vm.delete({ where: { id: vm.id } });
  });
  test("host.overview: totals only for who places VMs, the QEMU version only for host.admin", async () => {
    const nobody = await w.makeUser("nobody");
    const creator = await w.makeUser("creator", [{ role: "Creator" }]);
    const admin = await w.makeUser("admin", [{ role: "Administrator" }]);
    assert.deepEqual((await nobody.api.host.overview()).hosts, []);
    const forCreator = (await creator.api.host.overview()).hosts[0];
    assert.equal(forCreator?.info?.cores, 2);
    assert.equal(forCreator?.info?.qemuVersion, null);
    assert.equal((await admin.api.host.overview()).hosts[0]?.info?.qemuVersion, "7.2.0");
  });
  test("vm.live: no host paths for anyone, the QEMU pid only with vm.config", async () => {
    const vm = await w.t.db.vm.create({ data: { name: `live-${Date.now()}`, hostId: w.hostId } });
    const observer = await w.makeUser("observer", [{ role: "Observer", vmId: vm.id }]);
    const admin = await w.makeUser("admin", [{ role: "Administrator" }]);
    const seen = await observer.api.vm.live({ vmId: vm.id });
    assert.equal(seen.pid, null);
    assert.ok(!JSON.stringify(seen).includes("/srv/guesthouse"), JSON.stringify(seen));
    assert.equal(seen.state, "running");
    assert.equal((await admin.api.vm.live({ vmId: vm.id })).pid, 4242);
    assert.ok(!JSON.stringify(await admin.api.vm.live({ vmId: vm.id })).includes("/srv/guesthouse"));
  });
  test("display.viewers: who is watching is named to console users, not to view-only watchers", async () => {
    const vm = await w.t.db.vm.create({ data: { name: `watch-${Date.now()}`, hostId: w.hostId } });
    const observer = await w.makeUser("observer", [{ role: "Observer", vmId: vm.id }]);
    const operator = await w.makeUser("operator", [{ role: "Console user", vmId: vm.id }]);
    const viewer = displayViewers.add({
      vmId: vm.id,
      userId: "someone",
      userEmail: "someone@test.local",
      mode: "control",
      disconnect: () => {},
    });
    try {
      const seen = await observer.api.display.viewers({ vmId: vm.id });
      assert.equal(seen.length, 1);
      assert.ok(!JSON.stringify(seen).includes("someone@test.local"), JSON.stringify(seen));
      assert.equal(seen[0]?.mode, "control");
      assert.equal((await operator.api.display.viewers({ vmId: vm.id }))[0]?.userEmail, "someone@test.local");
    } finally {
      displayViewers.remove(viewer.id);
    }
  });

  test("audit.forVm: an Observer sees what happened, not others' e-mails, addresses or details", async () => {
    const vm = await w.t.db.vm.create({ data: { name: `aud-${Date.now()}`, hostId: w.hostId } });
    const observer = await w.makeUser("observer", [{ role: "Observer", vmId: vm.id }]);
    const other = await w.makeUser("other");
    const auditor = await w.makeUser("auditor", [{ role: "Auditor" }, { role: "Observer", vmId: vm.id }]);
    await w.t.db.auditEvent.create({
      data: {
        actorId: other.id,
        actorName: other.email,
        action: "vm.start",
        vmId: vm.id,
        vmName: vm.name,
        outcome: "success",
        ip: "10.1.2.3",
        detail: { x: 1 },
      },
    });
    const rows = await observer.api.audit.forVm({ vmId: vm.id });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.action, "vm.start");
    assert.ok(!JSON.stringify(rows).includes(other.email), JSON.stringify(rows));
    assert.ok(!JSON.stringify(rows).includes("10.1.2.3"));
    const full = await auditor.api.audit.forVm({ vmId: vm.id });
    assert.equal(full[0]?.actorName, other.email);
    assert.equal(full[0]?.ip, "10.1.2.3");
  });
});
