/** Input schemas of the host's template, clone and undo-disk API (`template.*`, `disk.undo`). */
import { z } from "zod";
import { DiskIdSchema, VmIdSchema, VmSpecSchema } from "./vm.ts";

/** Template ids follow the VM id rules: they become folder names. */
export const TemplateIdSchema = VmIdSchema;

export const TemplateCreateInput = z.object({ id: TemplateIdSchema, fromVm: VmIdSchema });
export const TemplateRefInput = z.object({ id: TemplateIdSchema });

export const CloneModeSchema = z.enum(["instant", "linked", "full"]);
export type CloneMode = z.infer<typeof CloneModeSchema>;

export const TemplateCloneInput = z.object({
  templateId: TemplateIdSchema,
  id: VmIdSchema,
  name: VmSpecSchema.shape.name,
  mode: CloneModeSchema,
});

export const DiskUndoInput = z.object({
  id: VmIdSchema,
  disk: DiskIdSchema,
  action: z.enum(["keep", "commit", "discard"]),
});
