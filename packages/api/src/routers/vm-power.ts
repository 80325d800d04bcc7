// Power operations: each asks the VM's host, records the state it reports, and audits the outcome.
import { audit } from "../audit.ts";
import { messageFor } from "../errors.ts";
import { runTask, type TaskHandle } from "../tasks.ts";
import { withHostProgress } from "../host-progress.ts";
import { vmOperationProcedure } from "../trpc.ts";
import type { HostClient } from "../host-gateway.ts";
import { displayEndings, ENDING_WORDS } from "../display/endings.ts";

type HostStatus = { state: string; reason: string };
type PowerOp = (host: HostClient, id: string, task: TaskHandle) => Promise<HostStatus>;

const ops = {
  start: async (host, id) => host.vm.start.mutate({ id }),
  shutdown: async (host, id) => host.vm.shutdown.mutate({ id, timeoutMs: 60_000 }),
  powerOff: async (host, id) => host.vm.powerOff.mutate({ id }),
  reset: async (host, id) => host.vm.reset.mutate({ id }),
  pause: async (host, id) => host.vm.pause.mutate({ id }),
  resume: async (host, id) => host.vm.resume.mutate({ id }),
  // The RAM goes to a file as the host's figures say (query-migrate); it can be cancelled (task.cancel).
  save: async (host, id, task) => withHostProgress(task, host, id, host.vm.save.mutate({ id })),
  restore: async (host, id) => host.vm.restore.mutate({ id }),
  // Dropping a suspended VM's saved RAM state, so it boots afresh next time.
  discardSaved: async (host, id) => host.vm.discardSaved.mutate({ id }),
} satisfies Record<string, PowerOp>;

function powerProcedure(name: keyof typeof ops) {
  return vmOperationProcedure(name).mutation(async ({ ctx, path }) => {
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    return runTask(ctx.db, { kind: path, vm: ctx.vm, actor: ctx.user }, async (task) => {
      const base = {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: path,
        vmId: ctx.vm.id,
        vmName: ctx.vm.name,
        ip: ctx.ip,
        taskId: task.id,
      };
      // Viewers are told who took the screen away before it goes (ADR 0029); a start forgets it.
      const ending = ENDING_WORDS[name];
      if (ending) displayEndings.end(ctx.vm.id, `the VM was ${ending} by ${ctx.user.email}`);
      if (name === "start" || name === "restore") displayEndings.forget(ctx.vm.id);
      try {
        const status = await ops[name](host, ctx.vm.id, task);
        await audit(ctx.db, { ...base, outcome: "success" });
        return status;
      } catch (error) {
        if (ending) displayEndings.forget(ctx.vm.id);
        await audit(ctx.db, { ...base, outcome: "failure", detail: { error: messageFor(error, ctx.vm) } });
        throw error;
      }
    });
  });
}

export const vmPower = {
  start: powerProcedure("start"),
  shutdown: powerProcedure("shutdown"),
  stop: powerProcedure("powerOff"),
  reset: powerProcedure("reset"),
  pause: powerProcedure("pause"),
  resume: powerProcedure("resume"),
  save: powerProcedure("save"),
  restore: powerProcedure("restore"),
  discardSaved: powerProcedure("discardSaved"),
};
