/** Talking to a live guest: screen, serial port, CD-ROM media. */
import { on } from "node:events";
import { randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { CDROM_DEVICE_ID } from "@guesthouse/qemu/argv";
import { BadInputError, InvalidStateError } from "./errors.ts";
import { resolveAllowedFile } from "./path-guard.ts";
import type { SerialChunk } from "./serial-console.ts";
import { assertAllowed } from "./transitions.ts";
import { requireInstance } from "./vm-launch.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";

/** The guest's screen as PNG bytes (QMP screendump, written into the VM's folder and read back). */
export async function screendump(m: VmManager, rec: VmRecord): Promise<Buffer> {
  assertAllowed("screendump", rec.id, rec.state);
  const file = join(m.paths.vmDir(rec.id), `screen-${randomUUID()}.png`);
  try {
    await requireInstance(rec).qmp.execute("screendump", { filename: file, format: "png" });
    return await readFile(file);
  } finally {
    await rm(file, { force: true });
  }
}

export async function serialWrite(rec: VmRecord, data: Buffer): Promise<void> {
  assertAllowed("serialWrite", rec.id, rec.state);
  if (!rec.serial.connected) throw new InvalidStateError(`VM '${rec.id}' has no serial console attached`);
  await rec.serial.write(data);
}

/** Buffered tail first (if asked), then live output, until `signal` aborts. */
export async function* serialStream(rec: VmRecord, opts: { replayBytes: number; signal?: AbortSignal }): AsyncGenerator<SerialChunk> {
  const live = on(rec.serial, "data", { signal: opts.signal });
  try {
    if (opts.replayBytes > 0) {
      const tail = rec.serial.ring.tail(opts.replayBytes);
      if (tail.length > 0) yield { offset: rec.serial.ring.total - tail.length, data: tail };
    }
    for await (const [chunk] of live as AsyncIterable<[SerialChunk]>) yield chunk;
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
  } finally {
    await live.return?.();
  }
}

/** Inserts an ISO (live when the VM runs) and remembers it in the spec for the next start. */
export async function mediaAttach(m: VmManager, rec: VmRecord, iso: string): Promise<void> {
  if (rec.spec.cdrom === null) throw new BadInputError(`VM '${rec.id}' has no CD-ROM drive; add one while it is stopped`);
  const real = await resolveAllowedFile(iso, m.config, "ISO");
  await m.guestFiles.shareReadOnly(real);
  await changeMedium(rec, async () => {
    await requireInstance(rec).qmp.execute("blockdev-change-medium", {
      id: CDROM_DEVICE_ID,
      filename: real,
      format: "raw",
      "read-only-mode": "read-only",
    });
  });
  rec.spec = { ...rec.spec, cdrom: { iso: real } };
  m.store.writeSpec(rec.id, rec.spec);
}

export async function mediaEject(m: VmManager, rec: VmRecord): Promise<void> {
  if (rec.spec.cdrom === null) throw new BadInputError(`VM '${rec.id}' has no CD-ROM drive`);
  await changeMedium(rec, async () => {
    await requireInstance(rec).qmp.execute("eject", { id: CDROM_DEVICE_ID, force: true });
  });
  rec.spec = { ...rec.spec, cdrom: {} };
  m.store.writeSpec(rec.id, rec.spec);
}

async function changeMedium(rec: VmRecord, live: () => Promise<void>): Promise<void> {
  if (rec.state === "running" || rec.state === "paused") return live();
  if (rec.state === "stopped") return;
  throw new InvalidStateError(`VM '${rec.id}' is ${rec.state}; change its media when it is running or stopped`);
}
