/** Input schemas and the entry type of the host service's `snapshot.*` API, shared with the console. */
import { z } from "zod";
import { VmIdSchema } from "./vm.ts";

/** Becomes a qcow2 snapshot tag: no spaces, quotes or shell characters. */
export const SnapshotNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "snapshot name: use 1–64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit",
  );

export const SnapshotListInput = z.object({ id: VmIdSchema });
export const SnapshotTakeInput = z.object({
  id: VmIdSchema,
  name: SnapshotNameSchema,
  /** Default: true when the VM is running or paused, false when it is stopped (RAM needs a running VM). */
  withRam: z.boolean().optional(),
});
export const SnapshotRefInput = z.object({ id: VmIdSchema, name: SnapshotNameSchema });

/** One internal snapshot, as the VM's first qcow2 disk holds it. */
export interface SnapshotEntry {
  name: string;
  /** It holds the guest's RAM and device state (taken while running or paused). */
  withRam: boolean;
  /** ms since epoch */
  createdAt: number;
  /** Size of the saved RAM/device state in the qcow2 (0 for disk-only). */
  vmStateBytes: number;
  /** The one the VM was last taken at or reverted to, as the host recorded it (listings only). */
  current?: boolean;
}
