// Every console procedure × every built-in role, from one table: allowed calls are never refused
// for permission, denied ones are FORBIDDEN and audited. A procedure missing from the table fails
// the test, so a new procedure cannot ship without deciding who may call it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { BUILT_IN_ROLES, type Permission } from "@guesthouse/shared/permissions";
import { appRouter, createCaller } from "./root.ts";
import { createContextInner } from "./context.ts";
import { createHostGateway } from "./host-gateway.ts";

type Need = Permission | "signed-in" | "public";
type Fixture = { vmId: string; otherUserId: string; roleId: string; taskId: string };
const TABLE: Record<string, { needs: Need; input?: (f: Fixture) => unknown }> = {
  "auth.login": { needs: "public", input: () => ({ email: "nobody@test.local", password: "x" }) },
  "auth.logout": { needs: "signed-in" },
  "auth.me": { needs: "signed-in" },
  "auth.changePassword": { needs: "signed-in", input: () => ({ current: "wrong", next: "a-new-password-1" }) },
  "vm.list": { needs: "signed-in", input: () => ({}) },
  "vm.events": { needs: "signed-in" },
  "vm.get": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "vm.live": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "vm.start": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.shutdown": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.stop": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.reset": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.pause": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.resume": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.save": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.restore": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.discardSaved": { needs: "vm.power", input: (f) => ({ vmId: f.vmId }) },
  "vm.create": { needs: "vm.create", input: () => ({ name: "perm-test", source: { kind: "template", templateId: "missing" } }) },
  "vm.update": {
    needs: "vm.config",
    input: (f) => ({ vmId: f.vmId, profile: "legacy", cpuModel: "auto", cpus: 1, memoryMiB: 64, bootOrder: "disk", mediaId: null }),
  },
  "vm.setUndo": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, enabled: false, policy: "ask" }) },
  "vm.setAutostart": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, autostart: true, startOrder: 1 }) },
  "vm.undoStatus": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "vm.undo": { needs: "vm.power", input: (f) => ({ vmId: f.vmId, action: "discard" }) },
  "vm.delete": { needs: "vm.delete", input: (f) => ({ vmId: f.vmId }) },
  "host.overview": { needs: "signed-in" },
  "host.cpuModels": { needs: "signed-in" },
  "host.list": { needs: "host.admin" },
  "host.createJoinToken": { needs: "host.admin", input: () => ({}) },
  "host.joinTokens": { needs: "host.admin" },
  "host.revokeJoinToken": { needs: "host.admin", input: () => ({ tokenId: "missing" }) },
  "host.join": { needs: "public", input: () => ({ token: `ghj_${"n".repeat(43)}`, name: "perm-host", url: "http://127.0.0.1:9" }) },
  "host.setMaintenance": { needs: "host.admin", input: () => ({ hostId: "missing", on: true }) },
  "host.remove": { needs: "host.admin", input: () => ({ hostId: "missing" }) },
  "host.evacuationPreview": { needs: "host.admin", input: () => ({ hostId: "missing" }) },
  "host.evacuation": { needs: "host.admin", input: () => ({ hostId: "missing" }) },
  "host.evacuationCancel": { needs: "host.admin", input: () => ({ hostId: "missing" }) },
  "host.placement": { needs: "vm.create", input: () => ({}) },
  "task.list": { needs: "signed-in" },
  "task.get": { needs: "signed-in", input: () => ({ id: "no-such-task" }) },
  "task.events": { needs: "signed-in" },
  // A state save's task (finished, so an allowed call is a CONFLICT): cancelling takes the save's permission.
  "task.cancel": { needs: "vm.power", input: (f) => ({ id: f.taskId }) },
  "display.controlTicket": { needs: "vm.console", input: (f) => ({ vmId: f.vmId }) },
  "display.viewTicket": { needs: "vm.console.view", input: (f) => ({ vmId: f.vmId }) },
  "display.viewers": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "display.ended": { needs: "vm.console.view", input: (f) => ({ vmId: f.vmId }) },
  "display.disconnect": { needs: "user.admin", input: (f) => ({ vmId: f.vmId, viewerId: "gone" }) },
  "share.create": { needs: "vm.console", input: (f) => ({ vmId: f.vmId, mode: "view", expiresInSeconds: 60 }) },
  "share.list": { needs: "vm.console", input: (f) => ({ vmId: f.vmId }) },
  "share.revoke": { needs: "vm.console", input: (f) => ({ vmId: f.vmId, linkId: "missing" }) },
  "share.describe": { needs: "public", input: () => ({ token: "n".repeat(43) }) },
  "share.open": { needs: "public", input: () => ({ token: "n".repeat(43) }) },
  "share.ticket": { needs: "public", input: () => ({ pass: "n".repeat(32) }) },
  "serial.read": { needs: "vm.console", input: (f) => ({ vmId: f.vmId }) },
  "serial.write": { needs: "vm.console", input: (f) => ({ vmId: f.vmId, data: "x" }) },
  "serial.stream": { needs: "vm.console", input: (f) => ({ vmId: f.vmId }) },
  "users.list": { needs: "user.admin" },
  "users.create": {
    needs: "user.admin",
    input: () => ({ email: `new-${Math.random().toString(36).slice(2)}@test.local`, name: "New", password: "a-long-password-1" }),
  },
  "users.setDisabled": { needs: "user.admin", input: (f) => ({ userId: f.otherUserId, disabled: false }) },
  "users.resetPassword": { needs: "user.admin", input: (f) => ({ userId: f.otherUserId, password: "a-long-password-2" }) },
  "users.groups": { needs: "user.admin" },
  "users.createGroup": { needs: "user.admin", input: () => ({ name: `g-${Math.random().toString(36).slice(2)}` }) },
  "users.setMembership": { needs: "user.admin", input: () => ({ userId: "missing", groupId: "missing", member: false }) },
  "access.roles": { needs: "user.admin" },
  "access.createRole": {
    needs: "user.admin",
    input: () => ({ name: `r-${Math.random().toString(36).slice(2)}`, permissions: ["vm.view"] }),
  },
  "access.updateRole": { needs: "user.admin", input: (f) => ({ roleId: f.roleId, name: "x", permissions: ["vm.view"] }) },
  "access.grants": { needs: "user.admin", input: () => ({}) },
  "access.grant": { needs: "user.admin", input: (f) => ({ roleId: f.roleId, userId: f.otherUserId, vmId: f.vmId }) },
  "access.revoke": { needs: "user.admin", input: () => ({ grantId: "missing" }) },
  "audit.list": { needs: "audit.view", input: () => ({}) },
  "audit.forVm": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "media.list": { needs: "media.upload" },
  "media.delete": { needs: "media.upload", input: () => ({ mediaId: "missing" }) },
  "snapshot.list": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "snapshot.take": { needs: "vm.snapshot", input: (f) => ({ vmId: f.vmId, name: "s1" }) },
  "snapshot.revert": { needs: "vm.snapshot", input: (f) => ({ vmId: f.vmId, snapshotId: "missing" }) },
  "snapshot.update": { needs: "vm.snapshot", input: (f) => ({ vmId: f.vmId, snapshotId: "missing", name: "x", description: "" }) },
  "snapshot.delete": { needs: "vm.snapshot", input: (f) => ({ vmId: f.vmId, snapshotId: "missing" }) },
  "template.list": { needs: "vm.create" },
  "template.fromVm": { needs: "vm.delete", input: (f) => ({ vmId: f.vmId, name: "tpl" }) },
  "template.clone": { needs: "vm.create", input: () => ({ templateId: "missing", name: "clone1", mode: "linked" }) },
  "template.delete": { needs: "vm.create", input: () => ({ templateId: "missing" }) },
  "catalog.templates": { needs: "vm.create" },
  "catalog.media": { needs: "vm.create" },
  "network.list": { needs: "signed-in" },
  "network.create": { needs: "network.admin", input: () => ({ kind: "user", name: `n-${Math.random().toString(36).slice(2)}` }) },
  "network.delete": { needs: "network.admin", input: () => ({ networkId: "missing" }) },
  "vm.nics": { needs: "vm.view", input: (f) => ({ vmId: f.vmId }) },
  "vm.nicAdd": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, networkId: "missing" }) },
  "vm.nicRemove": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, nicId: "missing" }) },
  "vm.nicLink": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, nicId: "missing", up: false }) },
  "vm.forwardAdd": {
    needs: "vm.config",
    input: (f) => ({ vmId: f.vmId, nicId: "missing", protocol: "tcp", hostPort: 8080, guestPort: 80 }),
  },
  "vm.forwardRemove": { needs: "vm.config", input: (f) => ({ vmId: f.vmId, forwardId: "missing" }) },
  "vm.migrate": { needs: "vm.migrate", input: (f) => ({ vmId: f.vmId, targetHostId: "missing" }) },
  "vm.migrateCancel": { needs: "vm.migrate", input: (f) => ({ vmId: f.vmId }) },
  "vm.moveTargets": { needs: "vm.migrate", input: (f) => ({ vmId: f.vmId }) },
};

const SUBJECTS = {
  ...Object.fromEntries(Object.entries(BUILT_IN_ROLES).map(([n, r]) => [n, [...r.permissions] as Permission[]])),
  "no role": [] as Permission[],
};

describe("console API authorisation, procedure by procedure and role by role", () => {
  let t: TestDatabase;
  let hostId: string;
  const users: Record<string, { id: string; email: string }> = {};
  let fixture: Fixture;

  before(async () => {
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL ?? "http://127.0.0.1:9", tokenHash: "-" } })).id;
    for (const name of Object.keys(SUBJECTS)) {
      const user = await t.db.user.create({
        data: { email: `${name.replace(/ /g, "-").toLowerCase()}@test.local`, name, passwordHash: "!" },
      });
      users[name] = user;
      if (name !== "no role") {
        const role = await t.db.role.findUniqueOrThrow({ where: { name } });
        await t.db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
      }
    }
    const other = await t.db.user.create({ data: { email: "other@test.local", name: "Other", passwordHash: "!" } });
    const custom = await t.db.role.create({ data: { name: "Custom", permissions: ["vm.view"] } });
    fixture = { vmId: "", otherUserId: other.id, roleId: custom.id, taskId: "" };
  });
  after(async () => t.drop());

  test("every procedure has an entry in the permission table", () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    assert.deepEqual(
      procedures.filter((p) => !(p in TABLE)),
      [],
      "procedures without an entry",
    );
    assert.deepEqual(
      Object.keys(TABLE).filter((p) => !procedures.includes(p)),
      [],
      "entries for procedures that do not exist",
    );
  });

  for (const [subject, perms] of Object.entries(SUBJECTS)) {
    test(`${subject}: allowed calls pass the permission check, every other call is FORBIDDEN and audited`, async () => {
      const user = users[subject]!;
      const session = await t.db.session.create({
        data: { tokenHash: `t-${subject}`, userId: user.id, expiresAt: new Date(Date.now() + 60_000) },
      });
      const caller = createCaller(
        createContextInner({
          db: t.db,
          hosts: createHostGateway(t.db, process.env.HOST_TOKEN ?? "-"),
          ip: "test",
          secureCookies: false,
          user: { id: user.id, email: user.email, name: subject, sessionId: session.id },
        }),
      );
      for (const [path, entry] of Object.entries(TABLE)) {
        // A fresh VM each call: it exists in the console only, so no guest is started by an allowed call.
        const vm = await t.db.vm.create({
          data: { id: `vperm${Math.random().toString(36).slice(2, 12)}`, name: `perm-${Math.random().toString(36).slice(2)}`, hostId },
        });
        fixture.vmId = vm.id;
        if (path === "task.cancel") {
          const task = await t.db.task.create({ data: { kind: "vm.save", vmId: vm.id, vmName: vm.name, hostId, state: "succeeded" } });
          fixture.taskId = task.id;
        }
        const allowed = entry.needs === "public" || entry.needs === "signed-in" || perms.includes(entry.needs);
        const deniedBefore = await t.db.auditEvent.count({ where: { actorId: user.id, action: path, outcome: "denied" } });
        const fn = procedureAt(caller, path);
        const { code, message } = await outcome(fn, entry.input?.(fixture));
        // (auth.login answers a wrong password with UNAUTHORIZED: that is its job, not a refusal.)
        const refusedForAccess = code === "FORBIDDEN" || (code === "UNAUTHORIZED" && entry.needs !== "public");
        // An allowed call may still fail for a reason of its own (a missing row, a stopped VM), but
        // never as a server error: that is a bug, whoever calls.
        if (allowed)
          assert.ok(
            !refusedForAccess && code !== "INTERNAL_SERVER_ERROR" && !code.startsWith("THROWN"),
            `${subject} should be allowed ${path}, got ${code}: ${message}`,
          );
        else {
          assert.equal(code, "FORBIDDEN", `${subject} should be refused ${path}`);
          const deniedAfter = await t.db.auditEvent.count({ where: { actorId: user.id, action: path, outcome: "denied" } });
          assert.equal(deniedAfter, deniedBefore + 1, `the refusal of ${path} to ${subject} is audited`);
        }
      }
    });
  }

  test("a signed-out caller gets UNAUTHORIZED from everything but the public procedures", async () => {
    const caller = createCaller(
      createContextInner({ db: t.db, hosts: createHostGateway(t.db, "-"), ip: "test", secureCookies: false, user: null }),
    );
    const vm = await t.db.vm.create({ data: { id: "vsignedout01", name: "signed-out", hostId } });
    const signedOut = { ...fixture, vmId: vm.id };
    for (const [path, entry] of Object.entries(TABLE)) {
      const { code, message } = await outcome(procedureAt(caller, path), entry.input?.(signedOut));
      if (entry.needs === "public") {
        assert.notEqual(message, SIGN_IN_FIRST, `${path} is public`);
        assert.ok(code !== "INTERNAL_SERVER_ERROR" && !code.startsWith("THROWN"), `${path}: ${code} ${message}`);
      } else {
        assert.equal(code, "UNAUTHORIZED", `${path} refuses a signed-out caller (${message})`);
        assert.equal(message, SIGN_IN_FIRST, `${path} is refused by the sign-in check`);
      }
    }
  });

  // A signed-out caller learns nothing about input validation: a NUL (refused for everyone before
  // any schema runs) still gets "Sign in first", not the 400 that names the field.
  test("a signed-out caller whose input carries a NUL gets UNAUTHORIZED, not BAD_REQUEST", async () => {
    const caller = createCaller(
      createContextInner({ db: t.db, hosts: createHostGateway(t.db, "-"), ip: "test", secureCookies: false, user: null }),
    );
    const nul = { ...fixture, vmId: "vm\u0000", otherUserId: "u\u0000", roleId: "r\u0000" };
    for (const [path, entry] of Object.entries(TABLE)) {
      if (entry.needs === "public") continue;
      const { code, message } = await outcome(procedureAt(caller, path), withNul(entry.input?.(nul) ?? { vmId: "\u0000" }));
      assert.equal(code, "UNAUTHORIZED", `${path}: ${code} ${message}`);
      assert.equal(message, SIGN_IN_FIRST, path);
    }
  });
});

/** Every string in `value` with a NUL appended (a value without strings gets one as a field). */
function withNul(value: unknown): unknown {
  if (typeof value === "string") return `${value}\u0000`;
  if (Array.isArray(value)) return value.map(withNul);
  if (value && typeof value === "object" && !(value instanceof Date))
    return { bad: "\u0000", ...Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNul(v)])) };
  return value;
}

const SIGN_IN_FIRST = "Sign in first";

type Procedure = (input?: unknown) => Promise<unknown>;

function procedureAt(caller: unknown, path: string): Procedure {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as Procedure;
}

/** Calls a procedure (closing a subscription straight away) and says how it ended. */
async function outcome(fn: Procedure, input: unknown): Promise<{ code: string; message: string }> {
  try {
    const result = await fn(input);
    if (result && typeof result === "object" && Symbol.asyncIterator in result) await (result as AsyncGenerator).return?.(undefined);
    return { code: "OK", message: "" };
  } catch (error) {
    return error instanceof TRPCError ? { code: error.code, message: error.message } : { code: `THROWN ${String(error)}`, message: "" };
  }
}
