// Inputs of the console API, shared by its forms (same messages in the browser and on the server).
import { z } from "zod";
import { NicRequestListSchema } from "./network-console-api.ts";
import { CPU_MODEL_IDS } from "./cpu-models.ts";
import { PERMISSIONS } from "./permissions.ts";

export const EmailSchema = z
  .email("Enter a valid e-mail address")
  .max(254)
  .transform((e) => e.toLowerCase());
export const PasswordSchema = z.string().min(12, "Use at least 12 characters").max(200, "Use at most 200 characters");

export const LoginInput = z.object({ email: EmailSchema, password: z.string().min(1, "Enter your password").max(200) });
export const ChangePasswordInput = z.object({ current: z.string().min(1).max(200), next: PasswordSchema });

export const VmNameSchema = z
  .string()
  .trim()
  .min(1, "Give the VM a name")
  .max(63, "Use at most 63 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, "Use letters, digits, '.', '_' and '-', starting with a letter or digit");

export const VmCreateInput = z
  .object({
    name: VmNameSchema,
    source: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("template"), templateId: z.string().min(1, "Choose a template") }),
      z.object({ kind: z.literal("iso"), mediaId: z.string().min(1, "Choose an ISO") }),
      /** A raw or qcow2 image in the library, copied into the VM's first disk (its size is the image's). */
      z.object({ kind: z.literal("image"), mediaId: z.string().min(1, "Choose a disk image") }),
      z.object({ kind: z.literal("blank") }),
    ]),
    profile: z.enum(["modern", "legacy"]).default("modern"),
    /** "auto": the profile's default on the VM's host (the migratable baseline, or the legacy model). */
    cpuModel: z.enum(["auto", ...CPU_MODEL_IDS], { error: `Choose auto or one of ${CPU_MODEL_IDS.join(", ")}` }).default("auto"),
    cpus: z.coerce.number().int().min(1, "At least 1 CPU").max(64, "At most 64 CPUs").default(1),
    memoryMiB: z.coerce
      .number()
      .int()
      .min(16, "At least 16 MiB")
      .max(1024 * 1024, "At most 1 TiB")
      .default(256),
    diskGiB: z.coerce.number().min(0, "Disk size cannot be negative").max(16384, "At most 16 TiB").default(0),
    /** Absent: one NIC on the default network, if there is one; `[]`: no NIC. */
    nics: NicRequestListSchema.optional(),
    /** Absent: placement picks the host with the most free capacity that fits (ADR 0035). */
    hostId: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Deleting a VM: `force` powers it off and disconnects its viewers first, instead of refusing. */
export const VmDeleteOptions = z.object({ force: z.boolean().default(false) });

export const VmListInput = z.object({
  search: z.string().max(100).default(""),
  /** Only the VMs on this host (the Hosts page's "Move VMs…"). */
  hostId: z.string().min(1).max(64).optional(),
  state: z.enum(["any", "running", "stopped", "paused", "suspended"]).default("any"),
  sort: z.enum(["name", "state", "createdAt", "memoryMiB"]).default("name"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});

export const UserCreateInput = z.object({
  email: EmailSchema,
  name: z.string().trim().min(1, "Enter a name").max(100),
  password: PasswordSchema,
});

export const GrantInput = z
  .object({
    roleId: z.string().min(1),
    userId: z.string().min(1).optional(),
    groupId: z.string().min(1).optional(),
    vmId: z.string().min(1).optional(),
    networkId: z.string().min(1).optional(),
  })
  .refine((g) => (g.userId ? 1 : 0) + (g.groupId ? 1 : 0) === 1, "Grant to exactly one user or one group")
  .refine((g) => !(g.vmId && g.networkId), { message: "A grant is on one VM or one network, not both", path: ["networkId"] });

export const RoleInput = z.object({
  name: z.string().trim().min(1).max(60),
  description: z.string().max(200).default(""),
  permissions: z.array(z.enum(PERMISSIONS)).min(1, "Pick at least one permission"),
});

// Bounded: a date PostgreSQL or Prisma cannot write (year −271821, say) would be a server error.
const AuditDate = z.coerce
  .date()
  .min(new Date("1970-01-01T00:00:00Z"), "Pick a date from 1970 on")
  .max(new Date("9999-12-31T23:59:59Z"), "Pick a date before the year 10000");

export const AuditListInput = z.object({
  actor: z.string().max(254).optional(),
  vmId: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  outcome: z.enum(["success", "failure", "denied"]).optional(),
  from: AuditDate.optional(),
  to: AuditDate.optional(),
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const DisplayTicketInput = z.object({ vmId: z.string().min(1), mode: z.enum(["control", "view"]) });

export const VmSettingsInput = z.object({
  description: z.string().max(500).default(""),
  profile: z.enum(["modern", "legacy"]),
  /** "auto" only for VMs made before CPU models were explicit: the profile's default on the host. */
  cpuModel: z.enum(["auto", ...CPU_MODEL_IDS], { error: `Choose auto or one of ${CPU_MODEL_IDS.join(", ")}` }),
  cpus: z.coerce.number().int().min(1, "At least 1 CPU").max(64, "At most 64 CPUs"),
  memoryMiB: z.coerce
    .number()
    .int()
    .min(16, "At least 16 MiB")
    .max(1024 * 1024, "At most 1 TiB"),
  bootOrder: z.enum(["disk", "cdrom"]),
  mediaId: z.string().nullable(),
  /** The guest clipboard (QEMU's qemu-vdagent); the guest needs an agent for it. */
  clipboard: z.boolean().default(false),
});

/** Start at boot: whether the console starts the VM when its host's machine has booted again, and in which order. */
export const VmAutostartInput = z.object({
  autostart: z.boolean(),
  startOrder: z.coerce.number().int().min(0, "Start order is 0 or more").max(999, "Start order is at most 999").default(0),
});

export const SnapshotNameSchema = z
  .string()
  .trim()
  .min(1, "Give the snapshot a name")
  .max(64, "Use at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "Use letters, digits, spaces, '.', '_' and '-'");

export const TemplateCloneInput = z.object({
  templateId: z.string().min(1),
  name: VmNameSchema,
  mode: z.enum(["instant", "linked", "full"]),
});

/** The most calls one tRPC batch may carry: the server refuses larger ones, the client splits at it. */
export const TRPC_MAX_BATCH = 16;
