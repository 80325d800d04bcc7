/** Input schemas of the host service's tRPC API, shared with the console. */
import { z } from "zod";
import { DiskIdSchema, HostPathSchema, VmIdSchema, VmSpecSchema } from "./vm.ts";
import { MEDIA_NAME, MEDIA_NAME_RULE } from "./media-name.ts";

export const VmRefInput = z.object({ id: VmIdSchema });

export const VmDefineInput = z.object({ id: VmIdSchema, spec: VmSpecSchema });
export const VmUpdateInput = z.object({ id: VmIdSchema, spec: VmSpecSchema });

export const VmShutdownInput = z.object({
  id: VmIdSchema,
  /** How long the guest gets to power itself off after the ACPI request before a hard power-off. */
  timeoutMs: z.int().min(100).max(600_000).default(60_000),
});

export const VmDeleteInput = z.object({
  id: VmIdSchema,
  /** Also delete the disks the VM uses (those no other VM uses). */
  deleteDisks: z.boolean().default(false),
});

/** `lastEventId` is filled in by tRPC's subscription links when they reconnect. */
export const VmEventsInput = z.object({ id: VmIdSchema.optional(), lastEventId: z.string().nullish() }).default({});

export const SerialWriteInput = z.object({
  id: VmIdSchema,
  data: z.string().max(64 * 1024),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
});

export const SerialReadInput = z.object({
  id: VmIdSchema,
  /** Most recent bytes to return (the ring buffer holds at most 256 KiB). */
  maxBytes: z
    .int()
    .min(1)
    .max(256 * 1024)
    .default(64 * 1024),
});

export const SerialStreamInput = z.object({
  id: VmIdSchema,
  /** Replay this many buffered bytes before live output (0: live only). */
  replayBytes: z
    .int()
    .min(0)
    .max(256 * 1024)
    .default(0),
});

const SIZE_MAX = 16 * 1024 ** 4; // 16 TiB
export const DiskSizeSchema = z
  .int()
  .min(1024 * 1024, "disk size: at least 1 MiB")
  .max(SIZE_MAX, "disk size: at most 16 TiB")
  .refine((n) => n % 512 === 0, "disk size must be a multiple of 512 bytes");

export const DiskRefInput = z.object({ id: DiskIdSchema });
export const DiskCreateInput = z.object({ id: DiskIdSchema, sizeBytes: DiskSizeSchema });
export const DiskResizeInput = z.object({ id: DiskIdSchema, sizeBytes: DiskSizeSchema });
export const DiskCloneInput = z.object({ id: DiskIdSchema, from: DiskIdSchema });
export const DiskImportInput = z.object({
  id: DiskIdSchema,
  /** An existing raw or qcow2 image inside an allowed folder; it is copied, never moved. */
  source: HostPathSchema,
  format: z.enum(["raw", "qcow2"]).optional(),
});

export const MediaAttachInput = z.object({ id: VmIdSchema, iso: HostPathSchema });
export const MediaEjectInput = z.object({ id: VmIdSchema });
/**
 * Removes a library file an upload left without its console's record (the console died between
 * the host's last byte and its own row): only a file written before `writtenBefore` (ms), so an
 * upload of the same name that a newer console is finishing is never touched.
 */
export const MediaDiscardInput = z.object({
  name: z.string().regex(MEDIA_NAME, MEDIA_NAME_RULE),
  writtenBefore: z.number().int().nonnegative(),
});
