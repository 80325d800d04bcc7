// The heartbeat loop against a host that goes silent and comes back: unreachable after the
// window, its VMs unknown (not stopped), then online again with state sync told to reconcile it.
// The host side is a labelled fake (FAKE HOST below): it answers host.info or fails on demand,
// which a real host does not do at will; the integration test kills a real one.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import type { HostClient, HostGateway } from "@guesthouse/api";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.drop());

const INFO = {
  cores: 2,
  memTotalBytes: 4 * 1024 ** 3,
  memFreeBytes: 3 * 1024 ** 3,
  diskFreeBytes: 9 * 1024 ** 3,
  kvm: false,
  accel: "tcg",
  cpu: { accel: "tcg", summary: "TCG", baseline: "qemu64", probeMs: 1, models: [{ id: "qemu64", usable: true, qemu: "qemu64" }] },
  qemuVersion: "8",
  vmCount: 0,
  runningVmCount: 0,
  qemuUser: { name: "q", uid: 1, dedicated: false, summary: "" },
};

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a silent host turns unreachable with its VMs unknown, and is reconciled when it answers again", async () => {
  const host = await t.db.host.create({ data: { name: "flaky", url: "http://127.0.0.1:9", tokenHash: "-" } });
  const vm = await t.db.vm.create({ data: { name: "on-flaky", hostId: host.id, state: "running" } });
  let answering = true;
  const recovered: string[] = [];
  // FAKE HOST: only host.info, answering or not as the test says.
  const client = { host: { info: { query: () => (answering ? Promise.resolve(INFO) : Promise.reject(new Error("ECONNREFUSED"))) } } };
  const hosts: HostGateway = {
    token: "-",
    forHost: () => Promise.resolve(client as unknown as HostClient),
    credential: () => Promise.resolve("-"),
  };
  const beat = startHostHeartbeat({
    db: t.db,
    hosts,
    log: pino({ level: "silent" }),
    everyMs: 20,
    unreachableAfterMs: 150,
    onRecovered: (id) => recovered.push(id),
  });
  try {
    const row = () => t.db.host.findUniqueOrThrow({ where: { id: host.id } });
    const vmState = async () => (await t.db.vm.findUniqueOrThrow({ where: { id: vm.id } })).state;
    await until("the host to be online with its capacity", async () => (await row()).state === "online");
    assert.equal((await row()).diskFreeBytes, 9n * 1024n ** 3n);
    assert.equal(await vmState(), "running", "a VM is left alone while its host answers");

    answering = false;
    await until("the host to be unreachable", async () => (await row()).state === "unreachable");
    const lastSeen = (await row()).lastSeenAt!.getTime();
    assert.ok(Date.now() - lastSeen >= 150, "not before the window has passed since its last answer");
    assert.equal(await vmState(), "unknown", "its VMs are unknown, never stopped");
    assert.deepEqual(recovered, []);

    answering = true;
    await until("the host to be online again", async () => (await row()).state === "online");
    await until("state sync to be told", () => Promise.resolve(recovered.length > 0));
    assert.deepEqual(recovered, [host.id], "told once");
  } finally {
    beat.stop();
  }
});
