import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../audit.ts";
import { can } from "../authz.ts";
import { displayTickets, type DisplayMode, type Ticket } from "../display/tickets.ts";
import { displayViewers } from "../display/viewers.ts";
import { displayEndings } from "../display/endings.ts";
import { refusal, type PowerState } from "@guesthouse/shared/vm-operations";
import { router, vmProcedure } from "../trpc.ts";

interface TicketVm {
  id: string;
  name: string;
  hostId: string;
  state: string;
}

/** Issues a display ticket on a running VM, keeping to one controller at a time. Used by share links too. */
export function issueDisplayTicket(
  vm: TicketVm,
  who: { userId: string; userEmail: string; sessionId?: string },
  mode: DisplayMode,
  options: { takeOver: boolean; share?: Ticket["share"] },
) {
  const closed = refusal("console", vm.name, vm.state as PowerState);
  // A viewer reconnecting to a screen someone took away is told who did, not only the state.
  const ending = closed ? displayEndings.get(vm.id) : null;
  if (closed) throw new TRPCError({ code: "CONFLICT", message: ending ? `${closed} (${ending.reason})` : closed });
  // One controller at a time: a second one must ask to take control explicitly.
  const holder = mode === "control" ? displayViewers.controller(vm.id) : undefined;
  if (holder && !options.takeOver) {
    throw new TRPCError({
      code: "CONFLICT",
      message: `${holder.userEmail} has control of this console; you are watching. Request control to take it over.`,
    });
  }
  return displayTickets.issue({ ...who, vmId: vm.id, vmName: vm.name, hostId: vm.hostId, mode, share: options.share });
}

function ticketProcedure(mode: DisplayMode) {
  return vmProcedure(mode === "control" ? "vm.console" : "vm.console.view")
    .input(z.object({ takeOver: z.boolean().default(false) }))
    .mutation(({ ctx, input }) =>
      issueDisplayTicket(ctx.vm, { userId: ctx.user.id, userEmail: ctx.user.email, sessionId: ctx.user.sessionId }, mode, {
        takeOver: input.takeOver,
      }),
    );
}

export const displayRouter = router({
  controlTicket: ticketProcedure("control"),
  viewTicket: ticketProcedure("view"),
  /**
   * Who is watching. Those who may take the console (vm.console) or disconnect viewers (user.admin)
   * see who each viewer is; a watcher with view rights only sees that others are there.
   */
  viewers: vmProcedure("vm.view").query(({ ctx }) => {
    const named = can(ctx.access, "vm.console", ctx.vm.id) || can(ctx.access, "user.admin", ctx.vm.id);
    return displayViewers
      .forVm(ctx.vm.id)
      .map((v) => (named || v.userId === ctx.user.id ? v : { ...v, userId: "", userEmail: "another user" }));
  }),
  /** Why the VM's screen last went away (shut down, powered off, suspended, by whom), if it did. */
  ended: vmProcedure("vm.console.view").query(({ ctx }) => displayEndings.get(ctx.vm.id)),
  disconnect: vmProcedure("user.admin")
    .input(z.object({ viewerId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const viewer = displayViewers.get(input.viewerId);
      if (!viewer || viewer.vmId !== ctx.vm.id) throw new TRPCError({ code: "NOT_FOUND", message: "That viewer is no longer connected" });
      viewer.disconnect(`disconnected by ${ctx.user.email}`);
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "display.disconnect",
        vmId: ctx.vm.id,
        vmName: ctx.vm.name,
        outcome: "success",
        detail: { viewer: viewer.userEmail },
        ip: ctx.ip,
      });
      return { ok: true as const };
    }),
});
