/** qcow2 disks (thin, linked clones, resize offline and live, import) and CD-ROM media changes at runtime. */
import assert from "node:assert/strict";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
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

const MiB = 1024 * 1024;
let host: TestHost;
let images: ImageManifest;

before(async () => {
  images = await testImages();
  host = await openHost(await tempDataDir());
});
after(() => destroyHost(host));

test("create is thin, clone links to its base, resize grows, import copies", async () => {
  const base = await host.api.disk.create({ id: "base", sizeBytes: 256 * MiB });
  assert.equal(base.virtualSizeBytes, 256 * MiB);
  assert.ok((base.actualSizeBytes ?? 0) < 2 * MiB, "thin provisioned");
  const clone = await host.api.disk.clone({ id: "clone", from: "base" });
  assert.equal(clone.backingDisk, "base");
  assert.equal(clone.virtualSizeBytes, 256 * MiB);
  assert.equal((await host.api.disk.resize({ id: "clone", sizeBytes: 512 * MiB })).virtualSizeBytes, 512 * MiB);
  await assert.rejects(host.api.disk.resize({ id: "clone", sizeBytes: 128 * MiB }), /shrinking it would destroy data/);
  await assert.rejects(host.api.disk.delete({ id: "base" }), /base of linked clone 'clone'/);

  await mkdir(join(host.dataDir, "media"), { recursive: true });
  const raw = join(host.dataDir, "media", "uploaded.raw");
  await writeFile(raw, "");
  await truncate(raw, 8 * MiB);
  const imported = await host.api.disk.import({ id: "imported", source: raw, format: "raw" });
  assert.equal(imported.format, "qcow2");
  assert.equal(imported.virtualSizeBytes, 8 * MiB);
  assert.deepEqual((await host.api.disk.list()).map((d) => d.id).sort(), ["base", "clone", "imported"]);
});

test("a running guest sees its disk grow, and the CD-ROM takes and gives up media live", { timeout: 120_000 }, async () => {
  await host.api.vm.define({
    id: "diskvm",
    spec: tinySpec(images, "diskvm", { disks: [{ disk: "clone", readOnly: false }], cdrom: {} }),
  });
  await host.api.vm.start({ id: "diskvm" });
  await waitSerial(host.service, "diskvm", PROMPT);
  await serialRun(host.service, "diskvm", "echo sectors-$(cat /sys/block/vda/size)", /\nsectors-1048576\r?\n/);
  await assert.rejects(host.api.disk.delete({ id: "clone" }), /used by VM 'diskvm'/);

  await host.api.disk.resize({ id: "clone", sizeBytes: 768 * MiB });
  await serialRun(host.service, "diskvm", "echo sectors-$(cat /sys/block/vda/size)", /\nsectors-1572864\r?\n/);

  const qmp = host.service.vms.get("diskvm").instance!.qmp;
  const medium = async () => {
    const block = await qmp.execute<{ qdev?: string; inserted?: { file: string } }[]>("query-block");
    return block.find((b) => b.qdev === "cdrom0")?.inserted?.file;
  };
  assert.equal(await medium(), undefined);
  const attached = await host.api.media.attach({ id: "diskvm", iso: images.memtest.iso });
  assert.equal(await medium(), images.memtest.iso);
  assert.deepEqual(attached.spec.cdrom, { iso: images.memtest.iso });
  await assert.rejects(host.api.media.attach({ id: "diskvm", iso: "/etc/hostname" }), /outside the allowed folders/);
  assert.equal(await medium(), images.memtest.iso, "a refused change leaves the medium in");
  await host.api.media.eject({ id: "diskvm" });
  assert.equal(await medium(), undefined);

  await host.api.vm.powerOff({ id: "diskvm" });
  const gone = await host.api.vm.delete({ id: "diskvm", deleteDisks: true });
  assert.deepEqual(gone.deletedDisks, ["clone"]);
  await host.api.disk.delete({ id: "base" });
});

test("the legacy profile boots with IDE disks, a CD-ROM, Cirrus VGA and an RTL8139", { timeout: 120_000 }, async () => {
  await host.api.disk.create({ id: "old-c", sizeBytes: 64 * MiB });
  await host.api.vm.define({
    id: "nt4",
    spec: tinySpec(images, "nt4", {
      profile: "legacy",
      disks: [
        { disk: "old-c", readOnly: false },
        { disk: "imported", readOnly: false },
      ],
      cdrom: { iso: images.grubRescue.iso },
      network: "user",
    }),
  });
  const started = await host.api.vm.start({ id: "nt4" });
  assert.equal(started.state, "running");
  await waitSerial(host.service, "nt4", PROMPT);
  const qmp = host.service.vms.get("nt4").instance!.qmp;
  const devices = await qmp.execute<{ qdev?: string; inserted?: { file: string } }[]>("query-block");
  assert.deepEqual(devices.map((d) => d.qdev).sort(), ["cdrom0", "disk0", "disk1"]);
  const pci = await qmp.execute<{ devices: { id: { vendor: number; device: number } }[] }[]>("query-pci");
  const ids = pci.flatMap((bus) => bus.devices.map((d) => `${d.id.vendor.toString(16)}:${d.id.device.toString(16)}`));
  assert.ok(ids.includes("1013:b8"), "Cirrus VGA");
  assert.ok(ids.includes("10ec:8139"), "RTL8139 NIC");
  assert.ok(ids.includes("8086:7010"), "PIIX3 IDE");
  await host.api.vm.shutdown({ id: "nt4", timeoutMs: 30_000 });
  assert.equal((await host.api.vm.get({ id: "nt4" })).state, "stopped");
});

test("a damaged disk file is listed as unreadable, can be deleted, and does not block templates of other VMs", async () => {
  await host.api.disk.create({ id: "sound", sizeBytes: 16 * MiB });
  await host.api.disk.create({ id: "damaged", sizeBytes: 16 * MiB });
  await writeFile(join(host.dataDir, "host", "disks", "damaged.qcow2"), "not a disk image\n");
  const listed = await host.api.disk.list();
  const damaged = listed.find((d) => d.id === "damaged");
  assert.equal(damaged?.format, "unreadable");
  assert.match(damaged?.problem ?? "", /Image is not in qcow2 format/);
  assert.equal(listed.find((d) => d.id === "sound")?.format, "qcow2");
  await host.api.vm.define({ id: "tpl-src", spec: tinySpec(images, "tpl-src", { disks: [{ disk: "sound" }] }) });
  const tpl = await host.api.template.create({ id: "tpl-ok", fromVm: "tpl-src" });
  assert.deepEqual(tpl.diskIds, ["sound"]);
  await host.api.disk.delete({ id: "damaged" });
  assert.equal(
    (await host.api.disk.list()).some((d) => d.id === "damaged"),
    false,
  );
});
