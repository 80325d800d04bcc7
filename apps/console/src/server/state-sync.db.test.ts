// State sync must not fail in silence: an unreachable host and a failed undo policy at power-off
// are logged with the host and VM they concern, and nothing becomes an unhandled rejection.
// The host side is a labelled fake (FAKE HOST below): these failures are the host's, and a real
// host will not produce them on demand.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import type { HostClient, HostGateway } from "@guesthouse/api";
import { startStateSync } from "./state-sync.server.ts";

type Line = { level: number; msg: string; hostId?: string; vmId?: string; err?: { message: string } };

function capturingLogger() {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { lines, logger };
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Event = { type: "state"; vmId: string; state: string; reason: string };

/** FAKE HOST: answers only what state sync asks, and fails where each test says. */
function fakeHost(behaviour: {
  list: () => Promise<{ id: string; state: string; reason: string }[]>;
  events?: Event[];
  undo?: () => Promise<void>;
}) {
  const client = {
    vm: {
      list: { query: behaviour.list },
      define: { mutate: () => Promise.resolve({}) },
      events: {
        subscribe(_input: unknown, handlers: { onData: (e: Event) => void }) {
          setImmediate(() => behaviour.events?.forEach((e) => handlers.onData(e)));
          return { unsubscribe() {} };
        },
      },
    },
    snapshot: { list: { query: () => Promise.resolve([]) } },
    disk: { undo: { mutate: behaviour.undo ?? (() => Promise.resolve({})) } },
  };
  const gateway: HostGateway = { token: "-", forHost: () => Promise.resolve(client as unknown as HostClient) };
  return gateway;
}

describe("state sync failures are logged, never swallowed", () => {
  let t: TestDatabase;
  let hostId: string;
  let stop: (() => void) | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    t = await createTestDatabase();
    hostId = (await t.db.host.create({ data: { name: "local", url: "http://127.0.0.1:9", tokenHash: "-" } })).id;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => stop?.());
  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await t.drop();
  });

  test("a host that cannot be reached is logged once with its id, and its return is logged too", async () => {
    const { lines, logger } = capturingLogger();
    let calls = 0;
    const hosts = fakeHost({
      list: () => (++calls <= 3 ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9")) : Promise.resolve([])),
    });
    stop = startStateSync({ db: t.db, hosts, log: logger, retryMs: 5 }).stop;
    await until("the host to be back", () => lines.some((l) => l.msg.startsWith("host reachable again")));
    const warnings = lines.filter((l) => l.level === 40);
    assert.equal(warnings.length, 1, "one warning per outage, not one per retry");
    assert.equal(warnings[0]!.hostId, hostId);
    assert.match(warnings[0]!.err!.message, /ECONNREFUSED/);
  });

  test("an undo policy that fails at power-off is logged with the VM, not left as an unhandled rejection", async () => {
    const vm = await t.db.vm.create({
      data: {
        id: "vsyncundo01",
        name: "undo-sync",
        hostId,
        state: "running",
        undoPolicy: "discard",
        disks: { create: { id: "vsyncundo01-d0", slot: 0, path: "disk:vsyncundo01-d0", sizeBytes: 0n, undoEnabled: true } },
      },
    });
    const { lines, logger } = capturingLogger();
    const hosts = fakeHost({
      list: () => Promise.resolve([{ id: vm.id, state: "running", reason: "" }]),
      events: [{ type: "state", vmId: vm.id, state: "stopped", reason: "guest powered off" }],
      undo: () => Promise.reject(new Error("undo disk is locked")),
    });
    stop = startStateSync({ db: t.db, hosts, log: logger, retryMs: 5 }).stop;
    await until("the failure to be logged", () => lines.some((l) => l.level === 50) || unhandled.length > 0);
    assert.deepEqual(unhandled, [], "no unhandled rejection");
    const error = lines.find((l) => l.level === 50)!;
    assert.equal(error.vmId, vm.id);
    assert.equal(error.hostId, hostId);
    assert.match(error.err!.message, /undo disk is locked/);
    // The state itself was still recorded.
    assert.equal((await t.db.vm.findUniqueOrThrow({ where: { id: vm.id } })).state, "stopped");
  });
});
