import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ensureImages, readManifest, TINY_PROMPT, type ImageManifest } from "./index.ts";
import { QemuGuest } from "./testing/qemu-guest.ts";

let dataDir = "";
let manifest: ImageManifest;
let buildSeconds = "";
const guests: QemuGuest[] = [];
const seconds = (since: number): string => ((Date.now() - since) / 1000).toFixed(1);

before(
  async () => {
    dataDir = await mkdtemp(join(tmpdir(), "gh-images-test-"));
    const started = Date.now();
    manifest = await ensureImages({ dataDir });
    buildSeconds = seconds(started);
  },
  { timeout: 180_000 },
);

after(async () => {
  await Promise.all(guests.map((g) => g.kill()));
  if (dataDir !== "") await rm(dataDir, { recursive: true, force: true });
});

test("a second ensureImages reuses the built images and manifest", async (t) => {
  t.diagnostic(`images built from scratch in ${buildSeconds} s`);
  const started = Date.now();
  const again = await ensureImages({ dataDir });
  assert.deepEqual(again, manifest);
  assert.deepEqual(await readManifest(dataDir), manifest);
  assert.ok(Date.now() - started < 2000, "nothing should be rebuilt");
  assert.ok(manifest.tinyLinux.kernel.startsWith(join(dataDir, "images") + "/"));
});

// Keys typed on the emulated PS/2 keyboard reach only the VGA console's shell (tty1).
const VGA_KEYS = [..."touch", "spc", "slash", ..."tmp", "slash", ..."vgaok", "ret"];

test("tiny Linux: shells on serial and VGA, hostname from cmdline, ACPI power-off", { timeout: 90_000 }, async (t) => {
  const { kernel, initrd, cmdline } = manifest.tinyLinux;
  const started = Date.now();
  const g = new QemuGuest(dataDir, "tiny", ["-kernel", kernel, "-initrd", initrd, "-append", `${cmdline} gh.hostname=probe`]);
  guests.push(g);
  // The prompt is matched at a line start so kernel messages that merely contain it do not count.
  let at = await g.waitSerial(new RegExp(`(^|\\n)${TINY_PROMPT}`), 0, 40_000);
  t.diagnostic(`tiny Linux prompt on serial after ${seconds(started)} s`);

  g.type("echo $((6*7))\n");
  at = await g.waitSerial(/\n42\r?\n/, at, 10_000);
  g.type("hostname\n");
  at = await g.waitSerial(/\nprobe\r?\n/, at, 10_000);

  const qmp = await g.qmp();
  for (const key of VGA_KEYS) {
    await qmp.execute("send-key", { keys: [{ type: "qcode", data: key }], "hold-time": 20 });
  }
  // Retry until the VGA shell has run the command; the keys are queued, not yet executed.
  const deadline = Date.now() + 10_000;
  for (;;) {
    g.type("ls /tmp\n");
    const next = await g.waitSerial(new RegExp(`\\n${TINY_PROMPT}`), at, 10_000);
    if (/\nvgaok\r?\n/.test(g.serial.slice(at, next))) break;
    assert.ok(Date.now() < deadline, "the VGA console shell never ran the typed command");
    at = next;
  }

  const powerStart = Date.now();
  await qmp.execute("system_powerdown");
  const noExit = new Promise<string>((resolve) => setTimeout(resolve, 15_000, "still running").unref());
  assert.equal(await Promise.race([g.exited, noExit]), 0, "QEMU should exit 0 once the guest powers off");
  t.diagnostic(`tiny Linux powered off ${Date.now() - powerStart} ms after system_powerdown`);
});

test("memtest86+ and GRUB rescue ISOs draw their screens", { timeout: 60_000 }, async (t) => {
  const boot = (name: string, iso: string): QemuGuest => {
    const g = new QemuGuest(dataDir, name, ["-cdrom", iso, "-boot", "d"]);
    guests.push(g);
    return g;
  };
  const memtest = boot("memtest", manifest.memtest.iso);
  const grub = boot("grub", manifest.grubRescue.iso);
  const started = Date.now();
  await Promise.all([
    // memtest86+ paints a blue background; the BIOS screen before it is black.
    memtest.waitScreen(join(dataDir, "memtest.ppm"), (s) => s.background[2] > 100 && s.background[0] < 50 && s.colours > 2, 20_000),
    // GRUB's menu fills far more of the text screen than SeaBIOS's two lines do.
    grub.waitScreen(join(dataDir, "grub.ppm"), (s) => s.colours > 1 && s.inkShare > 0.04, 20_000),
  ]);
  t.diagnostic(`memtest86+ and GRUB screens seen after ${seconds(started)} s`);
  await Promise.all([memtest.kill(), grub.kill()]);
});
