/**
 * A state save as a long operation: `vm.progress` gives QEMU's own RAM figures while it writes,
 * and `vm.cancel` stops it (`migrate_cancel`): the save fails as cancelled, no state file or
 * partial file is left, and the guest runs on with its RAM as it was.
 */
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
const ID = "progsaver";

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.vm.define({ id: ID, spec: tinySpec(images, ID, { memoryMiB: 256 }) });
  await host.api.vm.start({ id: ID });
  await waitSerial(host.service, ID, PROMPT);
  // RAM that holds data (the root file system is in RAM): QEMU has real pages to write, not zero pages.
  await serialRun(
    host.service,
    ID,
    "dd if=/dev/urandom of=/fill bs=1M count=120 2>/dev/null; X=kept-77; echo filled-$X",
    /\nfilled-kept-77\r?\n/,
  );
});
after(() => destroyHost(host));

/** Polls the VM's progress until `until` holds (checked on each answer) or the save settles. */
async function watch(saving: Promise<unknown>, until: (percent: number) => boolean): Promise<number[]> {
  let settled = false;
  void saving.then(
    () => (settled = true),
    () => (settled = true),
  );
  const seen: number[] = [];
  while (!settled) {
    const p = await host.api.vm.progress({ id: ID });
    if (p) {
      assert.equal(p.operation, "save");
      if (seen.at(-1) !== p.percent) seen.push(p.percent);
      if (until(p.percent)) break;
    }
    await new Promise((r) => setTimeout(r, 10)); // the next look, not a wait in place of one
  }
  return seen;
}

test("a cancelled save stops part-way, leaves no file, and the guest runs on with its RAM", async () => {
  const saving = host.api.vm.save({ id: ID });
  const outcome = saving.then(
    () => null,
    (e: Error) => e,
  );
  const seen = await watch(saving, (percent) => percent > 0);
  assert.ok(
    seen.some((p) => p > 0 && p < 100),
    `QEMU's figures part-way through, seen: ${seen.join(" → ")}`,
  );
  assert.deepEqual(await host.api.vm.cancel({ id: ID }), { cancelled: true });
  const error = await outcome;
  assert.ok(error, "the save fails");
  assert.match(error.message, /save of 'progsaver' was cancelled/);
  assert.equal((await host.api.vm.get({ id: ID })).state, "running");
  await assert.rejects(access(host.service.paths.savedStateFile(ID)), "no state file");
  await assert.rejects(access(`${host.service.paths.savedStateFile(ID)}.partial`), "no partial file");
  await serialRun(host.service, ID, "echo still-$X", /\nstill-kept-77\r?\n/);
  assert.equal(await host.api.vm.progress({ id: ID }), null, "nothing is under way any more");
  assert.deepEqual(await host.api.vm.cancel({ id: ID }), { cancelled: false }, "nothing left to cancel");
});

test("an uncancelled save reports rising figures and completes", async () => {
  const saving = host.api.vm.save({ id: ID });
  const seen = await watch(saving, () => false);
  assert.equal((await saving).state, "suspended");
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
    "the figures never go back",
  );
  await access(host.service.paths.savedStateFile(ID));
  assert.equal((await host.api.vm.restore({ id: ID })).state, "running");
  await serialRun(host.service, ID, "echo back-$X", /\nback-kept-77\r?\n/);
});
