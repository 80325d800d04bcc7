/** One tiny Linux guest through its whole life: boot, serial, pause/resume, reset, ACPI shutdown. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { VmEvent } from "@guesthouse/shared/vm-events";
import {
  destroyHost,
  openHost,
  PROMPT,
  serialRun,
  tempDataDir,
  testImages,
  tinySpec,
  waitSerial,
  type TestHost,
} from "./harness.test-support.ts";

let host: TestHost;
const events: VmEvent[] = [];
const ac = new AbortController();

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  void (async () => {
    // The tRPC subscription itself is exercised over HTTP in http.int.test.ts.
    for await (const { event } of host.service.vms.events.subscribe({ signal: ac.signal })) events.push(event);
  })().catch(() => undefined);
  await host.api.vm.define({ id: "life1", spec: tinySpec(images, "life1") });
});

after(async () => {
  ac.abort();
  await destroyHost(host);
});

/** Waits for the next event matching `pred` (events already received count). */
async function eventWhere(pred: (e: VmEvent) => boolean, timeoutMs = 20_000): Promise<VmEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = events.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events)}`);
    await new Promise((r) => setImmediate(r));
  }
}

test("boots to a shell prompt on serial and answers a command", async () => {
  const started = await host.api.vm.start({ id: "life1" });
  assert.equal(started.state, "running");
  assert.ok(started.pid && started.pid > 0);
  await waitSerial(host.service, "life1", PROMPT);
  const out = await serialRun(host.service, "life1", "echo $((6*7))", /\n42\r?\n/);
  assert.match(out, /\n42\r?\n/);
  const view = await host.api.vm.get({ id: "life1" });
  assert.ok(view.rssBytes && view.rssBytes > 10 * 1024 * 1024, "RSS is reported");
  assert.ok(view.cpuSeconds !== null && view.cpuSeconds > 0, "CPU time is reported");
  const tail = await host.api.serial.read({ id: "life1", maxBytes: 4096 });
  assert.match(Buffer.from(tail.base64, "base64").toString(), /42/);
});

test("starting a running VM is refused with a clear error", async () => {
  await assert.rejects(host.api.vm.start({ id: "life1" }), (err: Error & { code?: string }) => {
    assert.equal(err.code, "CONFLICT");
    assert.equal(err.message, "VM 'life1' is already running");
    return true;
  });
});

test("pause and resume change state, with events", async () => {
  events.length = 0;
  assert.equal((await host.api.vm.pause({ id: "life1" })).state, "paused");
  await eventWhere((e) => e.type === "state" && e.state === "paused" && e.reason === "host-request");
  await assert.rejects(host.api.vm.pause({ id: "life1" }), /already paused/);
  assert.equal((await host.api.vm.resume({ id: "life1" })).state, "running");
  await eventWhere((e) => e.type === "state" && e.state === "running" && e.previous === "paused");
  await serialRun(host.service, "life1", "echo alive-$((40+2))", /\nalive-42\r?\n/);
});

test("reset reboots the guest", async () => {
  events.length = 0;
  const from = host.service.vms.get("life1").serial.ring.total;
  await host.api.vm.reset({ id: "life1" });
  await eventWhere((e) => e.type === "state" && e.reason === "reset" && e.state === "running");
  // A fresh boot prints the kernel's banner line again.
  await waitSerial(host.service, "life1", /Guesthouse tiny Linux on life1/, { fromOffset: from, timeoutMs: 60_000 });
  await waitSerial(host.service, "life1", PROMPT, { fromOffset: from });
});

test("ACPI shutdown powers the guest off", async () => {
  events.length = 0;
  const pid = (await host.api.vm.get({ id: "life1" })).pid;
  const stopped = await host.api.vm.shutdown({ id: "life1", timeoutMs: 30_000 });
  assert.equal(stopped.state, "stopped");
  assert.equal(stopped.reason, "host-request");
  assert.equal(stopped.pid, null);
  await eventWhere((e) => e.type === "state" && e.state === "stopping");
  await eventWhere((e) => e.type === "state" && e.state === "stopped" && e.reason === "host-request");
  assert.throws(() => process.kill(pid as number, 0), "QEMU process is gone");
});
