import { TemplateCloneInput, TemplateCreateInput, TemplateRefInput } from "@guesthouse/shared/host-template-api";
import { cloneTemplate } from "../clones.ts";
import { templatesOf } from "../templates.ts";
import { hostProcedure, router } from "../trpc.ts";

/** `template.*`: VMs turned read-only templates, and clones of them (instant, linked or full). */
export const templateRouter = router({
  list: hostProcedure.query(({ ctx }) => templatesOf(ctx.service).list()),
  create: hostProcedure.input(TemplateCreateInput).mutation(({ ctx, input }) => templatesOf(ctx.service).create(input.id, input.fromVm)),
  delete: hostProcedure.input(TemplateRefInput).mutation(({ ctx, input }) => templatesOf(ctx.service).delete(input.id)),
  clone: hostProcedure.input(TemplateCloneInput).mutation(({ ctx, input }) => cloneTemplate(ctx.service, input)),
});
