// Dropping a suspended VM's saved RAM state, so it boots afresh next time. Audited like the power
// operations (vm-power.ts): the host decides whether there is a saved state to drop.
import { audit } from "../audit.ts";
import { messageFor } from "../errors.ts";
import { vmProcedure } from "../trpc.ts";
import { recordVmState, type PowerState } from "../vm-state.ts";

export const vmSavedState = {
  discardSaved: vmProcedure("vm.power").mutation(async ({ ctx, path }) => {
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    const base = { actorId: ctx.user.id, actorName: ctx.user.email, action: path, vmId: ctx.vm.id, vmName: ctx.vm.name, ip: ctx.ip };
    try {
      const status = await host.vm.discardSaved.mutate({ id: ctx.vm.id });
      await recordVmState(ctx.db, ctx.vm.id, status.state as PowerState, status.reason);
      await audit(ctx.db, { ...base, outcome: "success" });
      return status;
    } catch (error) {
      await audit(ctx.db, { ...base, outcome: "failure", detail: { error: messageFor(error, ctx.vm) } });
      throw error;
    }
  }),
};
