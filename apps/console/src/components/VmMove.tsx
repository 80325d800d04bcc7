"use client";
// "Move…": the VM to another host (ADR 0044), live while it runs, cold while stopped. The target
// list says, for each other host, why it cannot take the VM; the move itself shows in the Tasks
// panel with its progress, and can be cancelled there or here while it runs.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { FormDialog } from "./FormDialog";

export function VmMove({ vm }: { vm: { id: string; name: string; state: string } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState("");
  const targets = useQuery(trpc.vm.moveTargets.queryOptions({ vmId: vm.id }));
  const migrate = useMutation(
    trpc.vm.migrate.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.vm.get.queryKey({ vmId: vm.id }) }),
    }),
  );
  const cancel = useMutation(trpc.vm.migrateCancel.mutationOptions());
  const live = vm.state === "running" || vm.state === "paused";
  const chosen = targets.data?.find((t) => t.hostId === target);
  return (
    <section aria-labelledby="move-h">
      <h2 id="move-h">Host</h2>
      <div className="toolbar" role="group" aria-label="Move">
        <FormDialog
          trigger={
            <button type="button" disabled={migrate.isPending}>
              {migrate.isPending ? "Moving…" : "Move…"}
            </button>
          }
          title={`Move '${vm.name}' to another host`}
          description={
            live
              ? "It keeps running: its disks and RAM are copied while it runs, and it pauses only for the switch-over."
              : "It is stopped: its disk files are copied, snapshots and all."
          }
          submitLabel="Move"
          pendingLabel="Moving…"
          onOpenChange={(open) => open && setTarget("")}
          onSubmit={() => migrate.mutateAsync({ vmId: vm.id, targetHostId: target })}
        >
          <label>
            Target host
            <select value={target} onChange={(e) => setTarget(e.target.value)} required>
              <option value="">Choose a host</option>
              {targets.data?.map((t) => (
                <option key={t.hostId} value={t.hostId} disabled={!t.ok}>
                  {t.hostName}
                  {t.ok ? "" : ` — ${t.reason}`}
                </option>
              ))}
            </select>
          </label>
          {targets.data?.length === 0 && <p className="muted">There is no other host.</p>}
          {chosen && !chosen.ok && <p role="alert">{chosen.reason}</p>}
        </FormDialog>
        {migrate.isPending && live && (
          <button type="button" onClick={() => cancel.mutate({ vmId: vm.id })} disabled={cancel.isPending}>
            Cancel the move
          </button>
        )}
      </div>
      {migrate.error && (
        <p role="alert" className="error">
          {migrate.error.message}
        </p>
      )}
      {migrate.isSuccess && <p role="status">Moved.</p>}
    </section>
  );
}
