// What Prisma reports about rows (missing, duplicate, referenced) reaches the caller as NOT_FOUND
// or CONFLICT with words, never as a 500: an administrator racing another one, or a stale form.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createCaller } from "./root.ts";
import { createContextInner } from "./context.ts";
import { createHostGateway } from "./host-gateway.ts";
import { fromDbError } from "./db-errors.ts";
import { InvalidState } from "./errors.ts";

describe("database outcomes are the caller's, not server errors", () => {
  let t: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let vmId: string;
  let hostId: string;
  let roleId: string;
  let adminId: string;

  before(async () => {
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    hostId = (await t.db.host.create({ data: { name: "local", url: "http://127.0.0.1:9", tokenHash: "-" } })).id;
    vmId = (await t.db.vm.create({ data: { id: "vdberr01", name: "db-errors", hostId } })).id;
    const admin = await t.db.user.create({ data: { email: "admin@test.local", name: "Admin", passwordHash: "!" } });
    adminId = admin.id;
    roleId = (await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } })).id;
    await t.db.accessGrant.create({ data: { roleId, userId: admin.id, scope: "global" } });
    const session = await t.db.session.create({ data: { tokenHash: "t", userId: admin.id, expiresAt: new Date(Date.now() + 600_000) } });
    caller = createCaller(
      createContextInner({
        db: t.db,
        hosts: createHostGateway(t.db, "-"),
        ip: "test",
        secureCookies: false,
        user: { id: admin.id, email: admin.email, name: admin.name, sessionId: session.id },
      }),
    );
  });
  after(async () => t.drop());

  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    [
      "users.setDisabled on a user that is gone",
      () => caller.users.setDisabled({ userId: "gone", disabled: true }),
      "NOT_FOUND",
      /^That user no longer exists$/,
    ],
    [
      "users.resetPassword on a user that is gone",
      () => caller.users.resetPassword({ userId: "gone", password: "a-long-password-1" }),
      "NOT_FOUND",
      /user/,
    ],
    [
      "users.setMembership with a user that is gone",
      () => caller.users.setMembership({ userId: "gone", groupId: "gone", member: true }),
      "NOT_FOUND",
      /^No such (user|group)/,
    ],
    [
      "users.createGroup with a name that is taken",
      async () => (await caller.users.createGroup({ name: "lab" }), caller.users.createGroup({ name: "lab" })),
      "CONFLICT",
      /^A group with that name already exists/,
    ],
    [
      "access.createRole with a name that is taken",
      () => caller.access.createRole({ name: "Administrator", permissions: ["vm.view"] }),
      "CONFLICT",
      /^A role with that name/,
    ],
    ["access.grant of a role that is gone", () => caller.access.grant({ roleId: "gone", userId: adminId }), "NOT_FOUND", /^No such role/],
    ["access.grant to a user that is gone", () => caller.access.grant({ roleId, userId: "gone" }), "NOT_FOUND", /^No such user/],
    [
      "access.grant on a VM that is gone",
      () => caller.access.grant({ roleId, userId: adminId, vmId: "gone" }),
      "NOT_FOUND",
      /^No such VM: it may have been deleted$/,
    ],
    [
      "vm.update with an ISO that is gone",
      () => caller.vm.update({ vmId, profile: "legacy", cpuModel: "auto", cpus: 1, memoryMiB: 64, bootOrder: "cdrom", mediaId: "gone" }),
      "NOT_FOUND",
      /^No such media/,
    ],
  ];
  for (const [name, call, code, message] of cases)
    test(name, async () => {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof TRPCError, String(error));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        return true;
      });
    });

  test("deleting a row that is still referenced elsewhere is 'still used', not 'missing'", async () => {
    const media = await t.db.media.create({
      data: { name: "disc.iso", path: "/media/disc.iso", kind: "iso", sizeBytes: 1n, sha256: "-", hostId },
    });
    await t.db.template.create({ data: { name: "uses-disc", hostId, mediaId: media.id } });
    const mapped = await t.db.media.delete({ where: { id: media.id } }).then(() => null, fromDbError);
    assert.ok(mapped instanceof InvalidState, String(mapped));
    assert.equal(mapped.message, "That media is still used by a template: remove that first");
  });

  test("errors that are not Prisma's pass through unchanged", () => {
    const error = new Error("disk full");
    assert.equal(fromDbError(error), error);
  });
});
