// A host's default network is the default only once its host has made it, and only for that host
// (docs/decisions/0037). Found by review: the row was the default from the moment it was written,
// so a VM made while the host was still making the bridge got a NIC on a bridge that did not exist
// (its start failed), and making a second host's default network took the first host's away.
// The host here is a stand-in whose network.ensure waits until the test lets it answer: the one
// way to hold the moment in between; what the host does then is tested in the host's own tests.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { createNetwork } from "./network-create.ts";
import { reconcileTasks } from "./task-reconcile.ts";

let t: TestDatabase;
let release: () => void = () => {};
let ensured = 0;

/** FAKE HOST (a stand-in at the host boundary): network.ensure answers when the test says so. */
const slowHost = {
  network: {
    ensure: {
      mutate: () =>
        new Promise<void>((ok) => {
          ensured++;
          release = ok;
        }),
    },
  },
} as unknown as HostClient;
const gateway = { token: "-", forHost: () => Promise.resolve(slowHost), credential: () => Promise.resolve("-") } as HostGateway;

before(async () => {
  t = await createTestDatabase();
});
after(() => t.drop());

const host = (name: string) => t.db.host.create({ data: { name, url: `http://127.0.0.1:9/${name}`, tokenHash: "-" } });
const defaultOf = async (hostId: string) =>
  (await t.db.network.findFirst({ where: { hostId, isDefault: true }, select: { name: true } }))?.name ?? null;
const until = async (probe: () => boolean) => {
  while (!probe()) await new Promise((r) => setTimeout(r, 10));
};

/** A default network's creation, held while its host is making it (release() lets it finish). */
async function defaultNetworkBeingMade(hostId: string, name: string, subnet: string): Promise<{ making: Promise<unknown> }> {
  const before = ensured;
  const making = createNetwork({ db: t.db, hosts: gateway, actor: null }, hostId, { kind: "nat", name, subnet, isDefault: true });
  await until(() => ensured > before);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { making };
}

test("the default network is not the default while its host is still making it", async () => {
  const a = await host("a");
  const { making } = await defaultNetworkBeingMade(a.id, "default-a", "10.77.0.0/24");
  assert.equal(await t.db.network.count({ where: { name: "default-a" } }), 1, "the row is written first (journal-first)");
  assert.equal(await defaultOf(a.id), null, "no VM may be given a NIC on it yet");
  release();
  await making;
  assert.equal(await defaultOf(a.id), "default-a");
});

test("making a second host's default network leaves the first host's default as it was", async () => {
  const a = await t.db.host.findUniqueOrThrow({ where: { name: "a" } });
  const b = await host("b");
  const { making } = await defaultNetworkBeingMade(b.id, "default-b", "10.78.0.0/24");
  release();
  await making;
  assert.equal(await defaultOf(b.id), "default-b");
  assert.equal(await defaultOf(a.id), "default-a", "each host keeps its own default network");
});

test("a console that died after the host made it: reconciliation makes it the default", async () => {
  const c = await host("c");
  const row = await t.db.network.create({
    data: { name: "default-c", hostId: c.id, kind: "nat", bridge: "ghbrdefc", subnet: "10.79.0.0/24", isDefault: false },
  });
  await t.db.task.create({
    data: {
      kind: "network.create",
      hostId: c.id,
      actorName: "system",
      state: "running",
      owner: "a-console-that-died",
      input: { networkId: row.id, name: "default-c", makeDefault: true },
    },
  });
  const before = ensured;
  const reconciling = reconcileTasks(t.db, slowHost, c.id);
  await until(() => ensured > before);
  release();
  assert.equal(await reconciling, 1);
  assert.equal(await defaultOf(c.id), "default-c");
});
