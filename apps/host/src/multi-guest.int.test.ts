/** Three different guests side by side, each drawing its own screen (checked through QMP screendump). */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { ImageManifest } from "@guesthouse/images";
import { destroyHost, openHost, PROMPT, tempDataDir, testImages, tinySpec, waitSerial, type TestHost } from "./harness.test-support.ts";
import { decodePng, screenTraits, type ScreenTraits } from "./png.test-support.ts";

let host: TestHost;
let images: ImageManifest;

before(async () => {
  images = await testImages();
  host = await openHost(await tempDataDir());
});
after(() => destroyHost(host));

/** Polls the screen until `ok` accepts its traits (guests draw at their own pace under TCG). */
async function screenUntil(id: string, ok: (t: ScreenTraits) => boolean, timeoutMs = 60_000): Promise<ScreenTraits> {
  const deadline = Date.now() + timeoutMs;
  let last: ScreenTraits | undefined;
  while (Date.now() < deadline) {
    const shot = await host.api.vm.screendump({ id });
    assert.equal(shot.format, "png");
    last = screenTraits(decodePng(Buffer.from(shot.base64, "base64")));
    if (ok(last)) return last;
    await delay(500);
  }
  throw new Error(`screen of '${id}' never matched; last traits ${JSON.stringify(last)}`);
}

test("tiny Linux, memtest86+ and GRUB run at once and each draws its own screen", { timeout: 180_000 }, async () => {
  await host.api.vm.define({ id: "tiny", spec: tinySpec(images, "tiny") });
  await host.api.vm.define({
    id: "memtest",
    spec: {
      name: "memtest",
      profile: "modern",
      cpus: 1,
      memoryMiB: 64,
      disks: [],
      cdrom: { iso: images.memtest.iso },
      boot: ["cdrom"],
      network: "none",
    },
  });
  await host.api.vm.define({
    id: "grub",
    spec: {
      name: "grub",
      profile: "legacy",
      cpus: 1,
      memoryMiB: 64,
      disks: [],
      cdrom: { iso: images.grubRescue.iso },
      boot: ["cdrom"],
      network: "none",
    },
  });
  const started = await Promise.all(["tiny", "memtest", "grub"].map((id) => host.api.vm.start({ id })));
  assert.deepEqual(
    started.map((v) => v.state),
    ["running", "running", "running"],
  );
  assert.equal(new Set(started.map((v) => v.pid)).size, 3, "one QEMU process each");

  // memtest86+: a blue screen.
  const memtest = await screenUntil("memtest", (t) => t.blue > 0.6);
  // GRUB: a dark screen with a highlighted menu entry spanning the width.
  const grub = await screenUntil("grub", (t) => t.dark > 0.7 && t.maxLightRow > 0.8 && t.blue < 0.01);
  // tiny Linux: a black text console with a shell prompt, no bars, no blue.
  await waitSerial(host.service, "tiny", PROMPT);
  const tiny = await screenUntil("tiny", (t) => t.dark > 0.85 && t.light > 0.003 && t.maxLightRow < 0.5 && t.blue < 0.01);

  assert.ok(memtest.dark < 0.2, "memtest's screen is not black");
  assert.ok(grub.maxLightRow > tiny.maxLightRow + 0.3, "GRUB's menu bar sets it apart from the text console");
  const views = await host.api.vm.list();
  assert.deepEqual(
    views.map((v) => [v.id, v.state]),
    [
      ["grub", "running"],
      ["memtest", "running"],
      ["tiny", "running"],
    ],
  );
  const info = await host.api.host.info();
  assert.equal(info.runningVmCount, 3);
});
