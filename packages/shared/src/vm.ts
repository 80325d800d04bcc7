import { z } from "zod";
import { CpuModelIdSchema } from "./cpu-models.ts";
import { NicListSchema } from "./network.ts";

/** Names that become folder names and QEMU `-name` values: no traversal, no shell characters. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,35}$/;
const SLUG_MESSAGE = "use 1–36 characters: lower-case letters, digits and '-', starting with a letter or digit";

export const VmIdSchema = z.string().regex(SLUG, `VM id: ${SLUG_MESSAGE}`);
export type VmId = z.infer<typeof VmIdSchema>;

export const DiskIdSchema = z.string().regex(SLUG, `disk id: ${SLUG_MESSAGE}`);
export type DiskId = z.infer<typeof DiskIdSchema>;

/** An absolute host path; the host service further checks it lies inside an allowed folder. */
export const HostPathSchema = z
  .string()
  .min(1)
  .max(4000)
  .refine((p) => p.startsWith("/"), "path must be absolute")
  .refine((p) => !p.includes("\0"), "path must not contain NUL")
  .refine((p) => !p.includes(","), "path must not contain ',' (QEMU option separator)");

export const HardwareProfileSchema = z.enum(["modern", "legacy"]);
export type HardwareProfile = z.infer<typeof HardwareProfileSchema>;

export const BootDeviceSchema = z.enum(["disk", "cdrom", "network"]);
export type BootDevice = z.infer<typeof BootDeviceSchema>;

export const VmDiskRefSchema = z.object({
  disk: DiskIdSchema,
  readOnly: z.boolean().default(false),
  /** Undo disk: the guest writes to `<disk>.undo.qcow2`; keep, commit or discard it while stopped. */
  undo: z.boolean().default(false),
});

export const KernelBootSchema = z.object({
  kernel: HostPathSchema,
  initrd: HostPathSchema.optional(),
  cmdline: z
    .string()
    .max(2048)
    .refine((s) => !s.includes("\0"), "cmdline must not contain NUL")
    .default(""),
});
export type KernelBoot = z.infer<typeof KernelBootSchema>;

export const VmSpecSchema = z.object({
  /** Human-facing name; the id is the stable handle. */
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N} ._-]+$/u, "name: letters, digits, spaces, '.', '_' and '-' only"),
  profile: HardwareProfileSchema.default("modern"),
  /** Absent: the profile's default on this host (the console always names one). */
  cpuModel: CpuModelIdSchema.optional(),
  cpus: z.int().min(1, "at least 1 CPU").max(64, "at most 64 CPUs").default(1),
  memoryMiB: z
    .int()
    .min(16, "at least 16 MiB of RAM")
    .max(1024 * 1024)
    .default(256),
  disks: z.array(VmDiskRefSchema).max(4, "at most 4 disks").default([]),
  /** `null`: no CD-ROM drive; `{ iso: undefined }`: an empty drive that can take media at runtime. */
  cdrom: z.object({ iso: HostPathSchema.optional() }).nullable().default({}),
  boot: z.array(BootDeviceSchema).max(3).default(["disk", "cdrom"]),
  kernel: KernelBootSchema.optional(),
  /** The older single-NIC switch; `nics` supersedes it and the two may not both be set. */
  network: z.enum(["none", "user"]).default("none"),
  /** Guest ↔ browser clipboard through QEMU's qemu-vdagent on com.redhat.spice.0 (needs an agent in the guest). */
  clipboard: z.boolean().default(false),
  /** Up to 8 NICs, each on a network the host realised or on user-mode NAT (docs/decisions/0021). */
  nics: NicListSchema,
});
export type VmSpec = z.infer<typeof VmSpecSchema>;
export type VmSpecInput = z.input<typeof VmSpecSchema>;

export const VmStateSchema = z.enum(["stopped", "starting", "running", "paused", "saving", "suspended", "stopping"]);
export type VmState = z.infer<typeof VmStateSchema>;

/** Why a VM is in its current state. */
export const VmReasonSchema = z.enum([
  "defined",
  "host-request",
  "guest-shutdown",
  "guest-reset",
  "powered-off",
  "crashed",
  "killed",
  "reset",
  "saved",
  "restored",
  "reattached",
  "start-failed",
  "external",
  /** Moved to or from another host (apps/host/src/migration). */
  "migrated",
  /** A move switched over, but the target never ran the guest: it runs at the source again. */
  "move-undone",
]);
export type VmReason = z.infer<typeof VmReasonSchema>;
