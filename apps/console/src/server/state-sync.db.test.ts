// State sync must not fail in silence: an unreachable host and a failed undo policy at power-off
// are logged with the host and VM they concern, and nothing becomes an unhandled rejection.
// The host side is a labelled fake (FAKE HOST below): these failures are the host's, and a real
// host will not produce them on demand.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { CONSOLE_INSTANCE, type HostClient, type HostGateway } from "@guesthouse/api";
import { vmBus } from "@guesthouse/api/vm-bus";
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

type Event = { type: "state"; vmId: string; state: string; reason: string; version: number };

/** FAKE HOST: answers only what state sync asks, and fails where each test says. */
function fakeHost(behaviour: {
  list: () => Promise<{ id: string; state: string; reason: string; stateVersion: number }[]>;
  events?: Event[];
  undo?: () => Promise<void>;
  /** Gets the subscriber, to send events later. */
  subscribed?: (onData: (e: Event) => void) => void;
  /** Told of each VM state sync defines on the host. */
  defined?: (id: string) => void;
}) {
  const client = {
    vm: {
      list: { query: behaviour.list },
      eventCursor: { query: () => Promise.resolve({ lastEventId: "0" }) },
      define: {
        mutate: ({ id }: { id: string }) => {
          behaviour.defined?.(id);
          return Promise.resolve({ state: "stopped", reason: "defined", stateVersion: 1 });
        },
      },
      events: {
        subscribe(_input: unknown, handlers: { onData: (e: Event) => void }) {
          setImmediate(() => behaviour.events?.forEach((e) => handlers.onData(e)));
          behaviour.subscribed?.(handlers.onData);
          return { unsubscribe() {} };
        },
      },
    },
    snapshot: { list: { query: () => Promise.resolve([]) } },
    host: { info: { query: () => Promise.resolve({ bootId: "FAKE-HOST-BOOT" }) } },
    network: { defaultPlan: { query: () => Promise.resolve({ allowed: false, reason: "FAKE HOST: no default network" }) } },
    disk: { undo: { mutate: behaviour.undo ?? (() => Promise.resolve({})) } },
  };
  const gateway: HostGateway = {
    token: "-",
    forHost: () => Promise.resolve(client as unknown as HostClient),
    credential: () => Promise.resolve("-"),
  };
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
      list: () => Promise.resolve([{ id: vm.id, state: "running", reason: "", stateVersion: 1 }]),
      events: [{ type: "state", vmId: vm.id, state: "stopped", reason: "guest powered off", version: 2 }],
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

  test("the host's order wins: a late event never puts back an older state", async () => {
    const vm = await t.db.vm.create({ data: { id: "vsyncorder1", name: "order-sync", hostId } });
    const { logger } = capturingLogger();
    let send: ((e: Event) => void) | undefined;
    const hosts = fakeHost({
      list: () => Promise.resolve([{ id: vm.id, state: "running", reason: "host-request", stateVersion: 10 }]),
      subscribed: (onData) => (send = onData),
    });
    stop = startStateSync({ db: t.db, hosts, log: logger, retryMs: 5 }).stop;
    const row = () => t.db.vm.findUniqueOrThrow({ where: { id: vm.id }, select: { state: true, stateVersion: true } });
    await untilAsync("the reconcile", async () => send !== undefined && (await row()).stateVersion === 10n);
    send!({ type: "state", vmId: vm.id, state: "stopped", reason: "powered-off", version: 12 });
    await untilAsync("the stop to be recorded", async () => (await row()).stateVersion === 12n);
    const seen: string[] = [];
    const ac = new AbortController();
    void (async () => {
      for await (const e of vmBus.listen(ac.signal)) if (e.type === "state" && e.vmId === vm.id) seen.push(`${e.state}/${e.reason}`);
    })().catch(() => undefined);
    // Delivered late: the pause (11) that the stop overtook, and a stale running (9).
    send!({ type: "state", vmId: vm.id, state: "paused", reason: "host-request", version: 11 });
    send!({ type: "state", vmId: vm.id, state: "running", reason: "host-request", version: 9 });
    const marker = { type: "state" as const, vmId: vm.id, state: "stopped", reason: "marker", version: 13 };
    send!(marker); // handled after the late ones: once it lands, they have been handled too
    await untilAsync("the marker", async () => (await row()).stateVersion === 13n);
    ac.abort();
    assert.deepEqual(seen, ["stopped/marker"], "browsers were told only of the newer state");
    const final = await t.db.vm.findUniqueOrThrow({ where: { id: vm.id }, select: { state: true, stateReason: true } });
    assert.deepEqual(final, { state: "stopped", stateReason: "marker" });
  });

  test("a VM the host lacks is defined again, unless its own task is under way (a create about to define it)", async () => {
    const lost = await t.db.vm.create({ data: { id: "vsynclost01", name: "lost-sync", hostId } });
    const creating = await t.db.vm.create({ data: { id: "vsynccreat1", name: "creating-sync", hostId } });
    await t.db.task.create({
      data: { kind: "vm.create", vmId: creating.id, vmName: creating.name, hostId, state: "running", owner: CONSOLE_INSTANCE },
    });
    const defined: string[] = [];
    let streaming = false;
    const hosts = fakeHost({ list: () => Promise.resolve([]), defined: (id) => defined.push(id), subscribed: () => (streaming = true) });
    stop = startStateSync({ db: t.db, hosts, log: capturingLogger().logger, retryMs: 5 }).stop;
    await until("the reconcile to end and the stream to open", () => streaming);
    // (The other tests' VMs are redefined too: this host lists none.)
    assert.ok(defined.includes(lost.id), "a VM with no task under way is given back to its host");
    assert.ok(!defined.includes(creating.id), "the create is left to define its own VM");
    await t.db.task.deleteMany({ where: { vmId: creating.id } });
    await t.db.vm.deleteMany({ where: { id: { in: [lost.id, creating.id] } } });
  });

  test("a host that cannot be reached leaves its VMs unknown, never stopped; its return brings their states back", async () => {
    const vm = await t.db.vm.create({ data: { id: "vsyncunkn01", name: "unknown-sync", hostId, state: "running", stateVersion: 5n } });
    const { logger } = capturingLogger();
    let reachable = false;
    const hosts = fakeHost({
      list: () =>
        reachable
          ? Promise.resolve([{ id: vm.id, state: "running", reason: "reattached", stateVersion: 5 }])
          : Promise.reject(new Error("ECONNREFUSED")),
    });
    stop = startStateSync({ db: t.db, hosts, log: logger, retryMs: 5 }).stop;
    const state = async () => (await t.db.vm.findUniqueOrThrow({ where: { id: vm.id }, select: { state: true } })).state;
    await untilAsync("the VM to be unknown", async () => (await state()) === "unknown");
    reachable = true;
    await untilAsync("the VM to be running again", async () => (await state()) === "running");
    // The host's own state is the heartbeat's to write (host-heartbeat.server.db.test.ts), not state sync's.
    assert.equal((await t.db.host.findUniqueOrThrow({ where: { id: hostId }, select: { state: true } })).state, "offline");
  });
});

async function untilAsync(what: string, condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
