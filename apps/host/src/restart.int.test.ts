/** Guests outlive the host service; a new service reattaches; deaths are noticed, even while nobody watched. */
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
  processAlive as alive,
} from "./harness.test-support.ts";

let dataDir: string;
let host: TestHost;

before(async () => {
  const images = await testImages();
  dataDir = await tempDataDir();
  host = await openHost(dataDir);
  for (const id of ["keep-a", "keep-b"]) await host.api.vm.define({ id, spec: tinySpec(images, id) });
  await Promise.all(["keep-a", "keep-b"].map((id) => host.api.vm.start({ id })));
  await Promise.all(["keep-a", "keep-b"].map((id) => waitSerial(host.service, id, PROMPT)));
});
after(() => destroyHost(host));

test("a restarted host service loses neither of two running guests", { timeout: 120_000 }, async () => {
  await serialRun(host.service, "keep-a", "A=apple; echo ok-$A", /\nok-apple\r?\n/);
  await serialRun(host.service, "keep-b", "B=banana; echo ok-$B", /\nok-banana\r?\n/);
  const before = await host.api.vm.list();
  await host.detach();
  for (const v of before) assert.ok(alive(v.pid as number), `${v.id}'s QEMU survives the service stopping`);

  host = await openHost(dataDir);
  const after = await host.api.vm.list();
  assert.deepEqual(
    after.map((v) => [v.id, v.state, v.reason, v.pid]),
    before.map((v) => [v.id, "running", "reattached", v.pid]),
  );
  await serialRun(host.service, "keep-a", "echo still-$A", /\nstill-apple\r?\n/);
  await serialRun(host.service, "keep-b", "echo still-$B", /\nstill-banana\r?\n/);
  // QMP works again too.
  assert.equal((await host.api.vm.pause({ id: "keep-b" })).state, "paused");
  assert.equal((await host.api.vm.resume({ id: "keep-b" })).state, "running");
});

test("kill -9 of a QEMU is reported as crashed within 2 s", { timeout: 30_000 }, async (t) => {
  const { pid } = await host.api.vm.get({ id: "keep-b" });
  const ac = new AbortController();
  const crashed = (async () => {
    for await (const { event } of host.service.vms.events.subscribe({ signal: ac.signal })) {
      if (event.type === "state" && event.vmId === "keep-b" && event.state === "stopped") return { event, at: Date.now() };
    }
    throw new Error("no event");
  })();
  const killedAt = Date.now();
  process.kill(pid as number, "SIGKILL");
  const { event, at } = await crashed;
  ac.abort();
  assert.equal((event as VmEvent & { type: "state" }).reason, "crashed");
  assert.ok(at - killedAt < 2000, `noticed after ${at - killedAt} ms`);
  t.diagnostic(`kill -9 noticed after ${at - killedAt} ms`);
  const view = await host.api.vm.get({ id: "keep-b" });
  assert.deepEqual([view.state, view.reason, view.pid], ["stopped", "crashed", null]);
});

test("a guest that died while the service was down is reported stopped/crashed", { timeout: 30_000 }, async () => {
  const { pid } = await host.api.vm.get({ id: "keep-a" });
  await host.detach();
  process.kill(pid as number, "SIGKILL");
  while (alive(pid as number)) await new Promise((r) => setTimeout(r, 20));
  host = await openHost(dataDir);
  const view = await host.api.vm.get({ id: "keep-a" });
  assert.deepEqual([view.state, view.reason, view.pid], ["stopped", "crashed", null]);
  // And it starts again cleanly from there.
  assert.equal((await host.api.vm.start({ id: "keep-a" })).state, "running");
  await host.api.vm.powerOff({ id: "keep-a" });
  assert.equal((await host.api.vm.get({ id: "keep-a" })).reason, "powered-off");
});
