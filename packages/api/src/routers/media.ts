import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../audit.ts";
import { can } from "../authz.ts";
import { permissionProcedure, router } from "../trpc.ts";

export const mediaRouter = router({
  list: permissionProcedure("media.upload").query(async ({ ctx }) => {
    const rows = await ctx.db.media.findMany({
      select: {
        id: true,
        name: true,
        kind: true,
        sizeBytes: true,
        sha256: true,
        createdAt: true,
        uploadedBy: { select: { email: true } },
        vms: { select: { id: true, name: true } },
        templates: { select: { name: true } },
      },
      orderBy: { name: "asc" },
    });
    // Which VMs use a file is shown by name only for the VMs the caller may see; the rest are a count.
    return rows.map(({ vms, ...m }) => {
      const visible = vms.filter((v) => can(ctx.access, "vm.view", v.id));
      return { ...m, sizeBytes: Number(m.sizeBytes), vms: visible.map((v) => ({ name: v.name })), otherVms: vms.length - visible.length };
    });
  }),

  delete: permissionProcedure("media.upload")
    .input(z.object({ mediaId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const media = await ctx.db.media.findUnique({
        where: { id: input.mediaId },
        select: {
          name: true,
          host: { select: { url: true } },
          vms: { select: { id: true, name: true } },
          templates: { select: { name: true } },
        },
      });
      if (!media) throw new TRPCError({ code: "NOT_FOUND", message: "That file is no longer in the library" });
      const hidden = media.vms.filter((v) => !can(ctx.access, "vm.view", v.id)).length;
      const users = [
        ...media.vms.filter((v) => can(ctx.access, "vm.view", v.id)).map((v) => `VM '${v.name}'`),
        ...(hidden ? [`${hidden} VM${hidden > 1 ? "s" : ""} you cannot see`] : []),
        ...media.templates.map((t) => `template '${t.name}'`),
      ];
      if (users.length)
        throw new TRPCError({ code: "CONFLICT", message: `'${media.name}' is attached to ${users.join(", ")}: eject it first` });
      await ctx.db.$transaction(async (tx) => {
        await tx.media.delete({ where: { id: input.mediaId } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "media.delete",
          outcome: "success",
          detail: { name: media.name },
          ip: ctx.ip,
        });
        const res = await fetch(`${media.host.url}/media/upload?name=${encodeURIComponent(media.name)}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${ctx.hosts.token}` },
        });
        if (!res.ok) throw new TRPCError({ code: "BAD_GATEWAY", message: `The host could not delete the file (${res.status})` });
      });
      return { ok: true as const };
    }),
});
