"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { powerButtons, type PowerState } from "@guesthouse/shared/vm-operations";
import { useTRPC } from "@/trpc/react";

/**
 * Shown only to users holding vm.power on this VM. Which buttons are enabled, and why the others
 * are not, comes from the one table of VM operations (packages/shared/src/vm-operations.ts).
 */
export function PowerButtons({ vmId, name, state, permissions }: { vmId: string; name: string; state: string; permissions: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const done = { onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.vm.get.queryKey({ vmId }) }) };
  const mutations = {
    start: useMutation(trpc.vm.start.mutationOptions(done)),
    restore: useMutation(trpc.vm.restore.mutationOptions(done)),
    shutdown: useMutation(trpc.vm.shutdown.mutationOptions(done)),
    powerOff: useMutation(trpc.vm.stop.mutationOptions(done)),
    reset: useMutation(trpc.vm.reset.mutationOptions(done)),
    pause: useMutation(trpc.vm.pause.mutationOptions(done)),
    resume: useMutation(trpc.vm.resume.mutationOptions(done)),
    save: useMutation(trpc.vm.save.mutationOptions(done)),
  };
  if (!permissions.includes("vm.power")) return null;
  const all = Object.values(mutations);
  const pending = all.some((m) => m.isPending);
  const error = all.find((m) => m.error)?.error;
  return (
    <div className="power" role="group" aria-label="Power">
      {powerButtons(state as PowerState, name).map(({ op, label, disabledReason }) => {
        const m = mutations[op as keyof typeof mutations];
        return (
          <button
            key={op}
            type="button"
            onClick={() => m.mutate({ vmId })}
            disabled={pending || disabledReason !== undefined}
            title={disabledReason}
            aria-busy={m.isPending}
          >
            {m.isPending ? `${label}…` : label}
          </button>
        );
      })}
      {error && (
        <span role="alert" className="error">
          {error.message}
        </span>
      )}
    </div>
  );
}
