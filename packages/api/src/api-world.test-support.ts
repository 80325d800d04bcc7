// A test database with users who hold chosen roles, each with an API caller, and a host whose
// answers contain what must not leak (host paths, the QEMU pid, the QEMU version).
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createCaller } from "./root.ts";
import { createContextInner } from "./context.ts";
import { createHostGateway, type HostClient, type HostGateway } from "./host-gateway.ts";

// The host as these procedures see it: its info and one VM's live view, with what must not leak.
export const fakeHosts = {
  token: "-",
  forHost: () =>
    Promise.resolve({
      host: {
        info: {
          query: () =>
            Promise.resolve({ cores: 2, memTotalBytes: 1, memFreeBytes: 1, qemuVersion: "7.2.0", cpu: { models: [], summary: "" } }),
        },
      },
      vm: {
        get: {
          query: () =>
            Promise.resolve({
              id: "v",
              state: "running",
              reason: "host-request",
              since: 1,
              pid: 4242,
              rssBytes: 1,
              cpuSeconds: 1,
              spec: { disks: [{ path: "/srv/guesthouse/host/disks/secret.qcow2" }] },
            }),
        },
      },
    } as unknown as HostClient),
  credential: () => Promise.resolve("-"),
} satisfies HostGateway;

export interface ApiWorld {
  t: TestDatabase;
  hostId: string;
  roles: Record<string, string>;
  makeUser(
    name: string,
    grants?: { role: string; vmId?: string; networkId?: string }[],
  ): Promise<{ id: string; email: string; api: ReturnType<typeof createCaller> }>;
}

/**
 * A fresh database with the built-in roles, a "Creator" (vm.view, vm.create) and a "User admin"
 * (user.admin, vm.view). Its host is the fake above, or with `realHost` the host service `npm test`
 * started (HOST_URL, HOST_TOKEN).
 */
export async function apiWorld(opts: { realHost?: boolean } = {}): Promise<ApiWorld> {
  const t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  if (opts.realHost) assert.ok(process.env.HOST_URL && process.env.HOST_TOKEN, "HOST_URL and HOST_TOKEN name the stack's host service");
  const url = opts.realHost ? process.env.HOST_URL! : "http://127.0.0.1:9";
  const hosts = opts.realHost ? createHostGateway(t.db, process.env.HOST_TOKEN!) : fakeHosts;
  const hostId = (await t.db.host.create({ data: { name: "local", url, tokenHash: "-" } })).id;
  await t.db.role.create({ data: { name: "Creator", permissions: ["vm.view", "vm.create"] } });
  await t.db.role.create({ data: { name: "User admin", permissions: ["user.admin", "vm.view"] } });
  const roles = Object.fromEntries((await t.db.role.findMany({ select: { id: true, name: true } })).map((r) => [r.name, r.id]));
  const makeUser: ApiWorld["makeUser"] = async (name, grants = []) => {
    const user = await t.db.user.create({
      data: { email: `${name}-${Math.random().toString(36).slice(2)}@test.local`, name, passwordHash: "!" },
    });
    for (const g of grants)
      await t.db.accessGrant.create({
        data: {
          roleId: roles[g.role]!,
          userId: user.id,
          scope: g.vmId ? "vm" : g.networkId ? "network" : "global",
          vmId: g.vmId,
          networkId: g.networkId,
        },
      });
    const session = await t.db.session.create({
      data: { tokenHash: `t-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 600_000) },
    });
    const inner = createContextInner({
      db: t.db,
      hosts,
      ip: "test",
      secureCookies: false,
      user: { id: user.id, email: user.email, name, sessionId: session.id },
    });
    return { id: user.id, email: user.email, api: createCaller(inner) };
  };
  return { t, hostId, roles, makeUser };
}

/** Asserts the call fails with this tRPC code. */
export async function refused(p: Promise<unknown>, code: TRPCError["code"]): Promise<void> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, `expected ${code}, the call succeeded`);
  assert.equal(error.code, code, error.message);
}
