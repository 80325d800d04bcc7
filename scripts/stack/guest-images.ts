// Builds the demo guests from Debian packages once, and offers them as the starting templates.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@guesthouse/db";
import { ensureImages } from "@guesthouse/images";

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function registerIso(db: Db, hostId: string, name: string, file: string): Promise<string> {
  const existing = await db.media.findUnique({ where: { name }, select: { id: true } });
  if (existing) return existing.id;
  const { size } = await stat(file);
  const media = await db.media.create({
    data: { name, kind: "iso", path: file, sizeBytes: BigInt(size), sha256: await sha256File(file), hostId },
  });
  return media.id;
}

export async function registerGuestImages(db: Db, opts: { dataDir: string; hostId: string; log: (l: string) => void }): Promise<void> {
  let manifest;
  try {
    manifest = await ensureImages({ dataDir: opts.dataDir, log: opts.log });
  } catch (error) {
    opts.log(
      `Guest images not built: ${error instanceof Error ? error.message : String(error)} Add an ISO in the console's Media page instead.`,
    );
    return;
  }
  const { tinyLinux } = manifest;
  const templates = [
    {
      name: "Tiny Linux",
      description: "Linux kernel + busybox shell on the screen and on serial; boots in seconds",
      osLabel: "Linux (busybox)",
      memoryMiB: 128,
      kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
      mediaId: null as string | null,
    },
    {
      name: "memtest86+",
      description: "Memory tester (graphical)",
      osLabel: "memtest86+",
      memoryMiB: 64,
      kernelBoot: null,
      mediaId: await registerIso(db, opts.hostId, path.basename(manifest.memtest.iso), manifest.memtest.iso),
    },
    {
      name: "GRUB rescue",
      description: "GRUB boot menu from a rescue CD",
      osLabel: "GRUB",
      memoryMiB: 64,
      kernelBoot: null,
      mediaId: await registerIso(db, opts.hostId, path.basename(manifest.grubRescue.iso), manifest.grubRescue.iso),
    },
  ];
  for (const t of templates) {
    const data = {
      description: t.description,
      osLabel: t.osLabel,
      memoryMiB: t.memoryMiB,
      kernelBoot: t.kernelBoot ?? undefined,
      mediaId: t.mediaId,
      hostId: opts.hostId,
    };
    await db.template.upsert({ where: { name: t.name }, create: { name: t.name, ...data }, update: data });
  }
}
