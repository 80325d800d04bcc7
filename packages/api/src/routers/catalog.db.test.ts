// What the New VM wizard offers: only templates vm.create can start a VM from (boot recipes).
// A template captured from a VM lives on its host as disks (and RAM state) and is made into VMs
// with template.clone; vm.create refuses it instead of building a diskless VM tied to it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createCaller } from "../root.ts";
import { createContextInner } from "../context.ts";
import { createHostGateway } from "../host-gateway.ts";

describe("the template catalogue and vm.create", () => {
  let t: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let captured: string;
  let recipe: string;

  before(async () => {
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    // No host answers here: neither the catalogue nor the refusal may need one.
    const host = await t.db.host.create({ data: { name: "local", url: "http://127.0.0.1:9", tokenHash: "-" } });
    recipe = (
      await t.db.template.create({
        data: { name: "tiny-linux", hostId: host.id, kernelBoot: { kernel: "/images/vmlinuz", cmdline: "console=ttyS0" } },
      })
    ).id;
    captured = (await t.db.template.create({ data: { name: "captured", hostId: host.id, onHost: true, withRam: true } })).id;
    const user = await t.db.user.create({ data: { email: "creator@test.local", name: "Creator", passwordHash: "!" } });
    const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    await t.db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
    const session = await t.db.session.create({ data: { tokenHash: "t", userId: user.id, expiresAt: new Date(Date.now() + 600_000) } });
    caller = createCaller(
      createContextInner({
        db: t.db,
        hosts: createHostGateway(t.db, "-"),
        ip: "test",
        secureCookies: false,
        user: { id: user.id, email: user.email, name: user.name, sessionId: session.id },
      }),
    );
  });
  after(async () => t.drop());

  test("catalog.templates lists the boot recipes and leaves out templates captured from a VM", async () => {
    const listed = await caller.catalog.templates();
    assert.deepEqual(
      listed.map((tpl) => tpl.id),
      [recipe],
    );
    // The templates page still shows both.
    assert.equal((await caller.template.list()).length, 2);
  });

  test("vm.create refuses a captured template with BAD_REQUEST pointing at Clone, and makes nothing", async () => {
    await assert.rejects(
      caller.vm.create({ name: "from-captured", source: { kind: "template", templateId: captured } }),
      (error: unknown) => {
        assert.ok(error instanceof TRPCError);
        assert.equal(error.code, "BAD_REQUEST");
        assert.match(error.message, /'captured'/);
        assert.match(error.message, /clone/i);
        return true;
      },
    );
    assert.equal(await t.db.vm.count(), 0);
    assert.equal(await t.db.disk.count(), 0);
  });
});
