/** Undo disks: the guest writes to an overlay; discard drops its writes, commit folds them into the base. */
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
import { undoPath } from "./undo-disks.ts";

const MiB = 1024 * 1024;
let host: TestHost;
const READ_VDA = "echo got-$(head -c 16 /dev/vda | tr -d '\\000')";

async function boot(): Promise<void> {
  const fromOffset = host.service.vms.get("undo").serial.ring.total; // the ring outlives a power-off
  await host.api.vm.start({ id: "undo" });
  await waitSerial(host.service, "undo", PROMPT, { fromOffset });
}
const pending = async () => (await host.api.disk.info({ id: "u-disk" })).undoPending;

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.disk.create({ id: "u-disk", sizeBytes: 32 * MiB });
  await host.api.disk.create({ id: "other", sizeBytes: 1 * MiB });
  await host.api.vm.define({ id: "undo", spec: tinySpec(images, "undo", { disks: [{ disk: "u-disk", undo: true }] }) });
});
after(() => destroyHost(host));

test("discard drops the guest's writes, commit keeps them in the base", { timeout: 300_000 }, async () => {
  assert.equal(await pending(), false);
  await boot();
  assert.equal(await pending(), true, "the overlay exists while it runs");
  await serialRun(host.service, "undo", "printf undo-test > /dev/vda; sync; echo wrote-ok", /\nwrote-ok\r?\n/);
  await assert.rejects(host.api.disk.undo({ id: "undo", disk: "u-disk", action: "discard" }), /is running; .* only while it is stopped/);
  await host.api.vm.powerOff({ id: "undo" });

  assert.deepEqual(await host.api.disk.undo({ id: "undo", disk: "u-disk", action: "keep" }), {
    id: "undo",
    disk: "u-disk",
    action: "keep",
    undoPending: true,
  });
  assert.equal((await host.api.disk.undo({ id: "undo", disk: "u-disk", action: "discard" })).undoPending, false);
  assert.equal(await pending(), false);
  await boot();
  await serialRun(host.service, "undo", READ_VDA, /\ngot-\r?\n/);

  await serialRun(host.service, "undo", "printf undo-test > /dev/vda; sync; echo wrote-ok", /\nwrote-ok\r?\n/);
  await host.api.vm.powerOff({ id: "undo" });
  assert.equal((await host.api.disk.undo({ id: "undo", disk: "u-disk", action: "commit" })).undoPending, false);
  await assert.rejects(access(undoPath(host.service.paths.diskPath("u-disk"))), "overlay removed after commit");
  await boot();
  await serialRun(host.service, "undo", READ_VDA, /\ngot-undo-test\r?\n/);
  await host.api.vm.powerOff({ id: "undo" });
  assert.ok(!(await host.api.disk.list()).some((d) => d.id.includes("undo")), "overlays are not listed as disks");
});

test("bad undo requests are refused clearly", async () => {
  await host.api.disk.undo({ id: "undo", disk: "u-disk", action: "discard" }).catch(() => undefined);
  await assert.rejects(host.api.disk.undo({ id: "undo", disk: "u-disk", action: "commit" }), /no pending undo changes to commit/);
  await assert.rejects(host.api.disk.undo({ id: "undo", disk: "other", action: "discard" }), /VM 'undo' has no disk 'other'/);
  await assert.rejects(host.api.disk.undo({ id: "nope", disk: "u-disk", action: "discard" }), /no VM with id 'nope'/);
  await assert.rejects(host.api.disk.undo({ id: "undo", disk: "u-disk", action: "revert" as "keep" }), /action/);
  await assert.rejects(host.api.disk.undo({ id: "undo", disk: "../x", action: "keep" }), /disk id/);
});
