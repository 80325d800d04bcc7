// No grant exceeds the granter (ADR 0014), and a template is deleted by its creator or a holder of
// vm.delete everywhere: as calls a user with some access makes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { apiWorld, refused, type ApiWorld } from "./api-world.test-support.ts";

describe("who may grant, and who may delete a template", () => {
  let w: ApiWorld;
  before(async () => {
    w = await apiWorld();
  });
  after(async () => w.t.drop());

  test("template.delete: a vm.create holder may not delete someone else's template; its creator and a global vm.delete holder may", async () => {
    const alice = await w.makeUser("alice", [{ role: "Creator" }]);
    const mallory = await w.makeUser("mallory", [{ role: "Creator" }]);
    const admin = await w.makeUser("admin", [{ role: "Administrator" }]);
    const mk = (name: string, createdById?: string) =>
      w.t.db.template.create({ data: { name, hostId: w.hostId, createdById }, select: { id: true } });
    const alices = await mk(`alices-${Date.now()}`, alice.id);
    await refused(mallory.api.template.delete({ templateId: alices.id }), "FORBIDDEN");
    assert.ok(await w.t.db.template.findUnique({ where: { id: alices.id } }), "the template is still there");
    assert.ok(await w.t.db.auditEvent.findFirst({ where: { actorId: mallory.id, action: "template.delete", outcome: "denied" } }));
    await alice.api.template.delete({ templateId: alices.id });
    const old = await mk(`unowned-${Date.now()}`);
    await refused(alice.api.template.delete({ templateId: old.id }), "FORBIDDEN");
    await admin.api.template.delete({ templateId: old.id });
  });
  test("a template's clones are named only where the caller may see them", async () => {
    const alice = await w.makeUser("alice", [{ role: "Creator" }]);
    const bob = await w.makeUser("bob");
    const tpl = await w.t.db.template.create({ data: { name: `tpl-${Date.now()}`, hostId: w.hostId, createdById: alice.id } });
    const vm = await w.t.db.vm.create({
      data: { name: `secret-clone-${Date.now()}`, hostId: w.hostId, templateId: tpl.id, ownerId: bob.id },
    });
    const visibleTo = await w.makeUser("carol", [{ role: "Creator" }]);
    // Creator holds vm.view everywhere: the blind caller holds vm.create only.
    const blind = await w.t.db.role.create({ data: { name: `blind-${Date.now()}`, permissions: ["vm.create"] } });
    const eve = await w.makeUser("eve");
    await w.t.db.accessGrant.create({ data: { roleId: blind.id, userId: eve.id, scope: "global" } });
    const seen = (await eve.api.template.list()).find((x) => x.id === tpl.id)!;
    assert.deepEqual(seen.clones, []);
    assert.equal(seen.otherClones, 1);
    assert.ok(!JSON.stringify(await eve.api.template.list()).includes(vm.name));
    await refused(eve.api.template.delete({ templateId: tpl.id }), "FORBIDDEN");
    const carols = (await visibleTo.api.template.list()).find((x) => x.id === tpl.id)!;
    assert.deepEqual(
      carols.clones.map((c) => c.name),
      [vm.name],
    );
    await w.t.db.vm.delete({ where: { id: vm.id } });
  });
  test("a user admin cannot grant, build or join more than they hold, nor take over a stronger account", async () => {
    const ua = await w.makeUser("useradmin", [{ role: "User admin" }]);
    const target = await w.makeUser("target");
    const root = await w.makeUser("root", [{ role: "Administrator" }]);
    await refused(ua.api.access.grant({ roleId: w.roles["Administrator"]!, userId: target.id }), "FORBIDDEN");
    assert.equal(await w.t.db.accessGrant.count({ where: { userId: target.id } }), 0);
    await refused(ua.api.access.grant({ roleId: w.roles["Administrator"]!, userId: ua.id }), "FORBIDDEN");
    const custom = await ua.api.access.createRole({ name: `mine-${Date.now()}`, permissions: ["vm.view"] });
    await refused(ua.api.access.updateRole({ roleId: custom.id, name: "mine", permissions: ["vm.view", "host.admin"] }), "FORBIDDEN");
    await refused(ua.api.access.createRole({ name: `big-${Date.now()}`, permissions: ["host.admin"] }), "FORBIDDEN");
    const admins = await w.t.db.group.create({ data: { name: `admins-${Date.now()}` } });
    await w.t.db.accessGrant.create({ data: { roleId: w.roles["Administrator"]!, groupId: admins.id, scope: "global" } });
    await refused(ua.api.users.setMembership({ userId: ua.id, groupId: admins.id, member: true }), "FORBIDDEN");
    await refused(ua.api.users.resetPassword({ userId: root.id, password: "taken-over-password-1" }), "FORBIDDEN");
    await refused(ua.api.users.setDisabled({ userId: root.id, disabled: true }), "FORBIDDEN");
    const rootGrant = await w.t.db.accessGrant.findFirstOrThrow({ where: { userId: root.id } });
    await refused(ua.api.access.revoke({ grantId: rootGrant.id }), "FORBIDDEN");
    // Within their own permissions they still can.
    // Observer includes vm.console.view, which this user admin does not hold.
    await refused(ua.api.access.grant({ roleId: w.roles["Observer"]!, userId: target.id }), "FORBIDDEN");
    await ua.api.access.grant({ roleId: custom.id, userId: target.id });
    await ua.api.users.resetPassword({ userId: target.id, password: "a-fine-password-1" });
    // An Administrator may do all of it.
    await root.api.access.grant({ roleId: w.roles["Administrator"]!, userId: target.id });
  });
});
