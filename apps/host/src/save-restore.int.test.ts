/** Saved state (suspend to file) keeps what was in guest RAM. */
import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { after, before, test } from "node:test";
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

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.vm.define({ id: "saver", spec: tinySpec(images, "saver") });
  await host.api.vm.start({ id: "saver" });
  await waitSerial(host.service, "saver", PROMPT);
});

after(() => destroyHost(host));

test("save then restore keeps a shell variable held in guest RAM", async () => {
  await serialRun(host.service, "saver", "X=hello-123; echo set-$X", /\nset-hello-123\r?\n/);
  const saved = await host.api.vm.save({ id: "saver" });
  assert.equal(saved.state, "suspended");
  assert.equal(saved.reason, "saved");
  assert.equal(saved.pid, null);
  await access(host.service.paths.savedStateFile("saver"));
  await assert.rejects(host.api.vm.start({ id: "saver" }), /has a saved state; restore it/);

  const restored = await host.api.vm.restore({ id: "saver" });
  assert.equal(restored.state, "running");
  assert.equal(restored.reason, "restored");
  await serialRun(host.service, "saver", "echo got-$X", /\ngot-hello-123\r?\n/);
  await assert.rejects(access(host.service.paths.savedStateFile("saver")), "state file is consumed");
});

test("a paused VM can be saved and restored too, and discard drops a saved state", async () => {
  await host.api.vm.pause({ id: "saver" });
  assert.equal((await host.api.vm.save({ id: "saver" })).state, "suspended");
  assert.equal((await host.api.vm.discardSaved({ id: "saver" })).state, "stopped");
  await assert.rejects(host.api.vm.restore({ id: "saver" }), /has no saved state/);
});
