"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";

/** Shown only to users holding vm.power on this VM; each button only in states where it applies. */
export function PowerButtons({ vmId, state, permissions }: { vmId: string; name: string; state: string; permissions: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const done = { onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() }) };
  const start = useMutation(trpc.vm.start.mutationOptions(done));
  const shutdown = useMutation(trpc.vm.shutdown.mutationOptions(done));
  const stop = useMutation(trpc.vm.stop.mutationOptions(done));
  const reset = useMutation(trpc.vm.reset.mutationOptions(done));
  const pause = useMutation(trpc.vm.pause.mutationOptions(done));
  const resume = useMutation(trpc.vm.resume.mutationOptions(done));
  const restore = useMutation(trpc.vm.restore.mutationOptions(done));
  const save = useMutation(trpc.vm.save.mutationOptions(done));
  if (!permissions.includes("vm.power")) return null;
  const all = [start, shutdown, stop, reset, pause, resume, restore, save];
  const busy = all.some((m) => m.isPending);
  const error = all.find((m) => m.error)?.error;
  const button = (label: string, m: (typeof all)[number], when: string[], pending: string) =>
    when.includes(state) ? (
      <button type="button" onClick={() => m.mutate({ vmId })} disabled={busy} aria-busy={m.isPending}>
        {m.isPending ? pending : label}
      </button>
    ) : null;
  return (
    <div className="power" role="group" aria-label="Power">
      {button("Start", start, ["stopped"], "Starting…")}
      {button("Restore", restore, ["suspended"], "Restoring…")}
      {button("Shut down", shutdown, ["running"], "Shutting down…")}
      {button("Power off", stop, ["running", "paused"], "Powering off…")}
      {button("Reset", reset, ["running"], "Resetting…")}
      {button("Pause", pause, ["running"], "Pausing…")}
      {button("Resume", resume, ["paused"], "Resuming…")}
      {button("Save state", save, ["running", "paused"], "Saving…")}
      {error && (
        <span role="alert" className="error">
          {error.message}
        </span>
      )}
    </div>
  );
}
