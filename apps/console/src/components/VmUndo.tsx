"use client";
// Undo disk settings, and the keep / commit / discard choice after a power-off.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";

const CHOICES = {
  keep: "Keep (stay on the undo disk)",
  commit: "Commit (merge into the disk)",
  discard: "Discard (drop the changes)",
} as const;

export function UndoChoice({ vmId, state, canPower }: { vmId: string; state: string; canPower: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.vm.undoStatus.queryOptions({ vmId }));
  const undo = useMutation(
    trpc.vm.undo.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.vm.undoStatus.queryKey({ vmId }) }) }),
  );
  if (!status.data?.pending || state !== "stopped" || !canPower) return null;
  return (
    <div className="card undo" role="region" aria-label="Undo disk">
      <p>
        <strong>This VM ran on an undo disk.</strong> What should happen to the changes it made?
      </p>
      <div className="toolbar">
        {(["keep", "commit"] as const).map((action) => (
          <button key={action} type="button" disabled={undo.isPending} onClick={() => undo.mutate({ vmId, action })}>
            {CHOICES[action]}
          </button>
        ))}
        <ConfirmDialog
          trigger={
            <button type="button" disabled={undo.isPending}>
              {CHOICES.discard}
            </button>
          }
          title="Discard the changes on the undo disk?"
          confirmLabel="Discard changes"
          pendingLabel="Discarding…"
          onConfirm={() => undo.mutateAsync({ vmId, action: "discard" })}
        >
          <p>Everything the VM wrote to its disks while it ran on the undo disk is lost; its disks go back to how they were before.</p>
        </ConfirmDialog>
      </div>
      {undo.error && undo.variables?.action !== "discard" && (
        <p role="alert" className="error">
          {undo.error.message}
        </p>
      )}
    </div>
  );
}

export function UndoSettings({ vmId, stopped }: { vmId: string; stopped: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.vm.undoStatus.queryOptions({ vmId }));
  const set = useMutation(
    trpc.vm.setUndo.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.vm.undoStatus.queryKey({ vmId }) }),
    }),
  );
  if (!status.data) return null;
  const { enabled, policy } = status.data;
  return (
    <section aria-labelledby="undo-h">
      <h2 id="undo-h">Undo disk</h2>
      <fieldset disabled={!stopped || set.isPending}>
        <label className="inline">
          <input type="checkbox" checked={enabled} onChange={(e) => set.mutate({ vmId, enabled: e.target.checked, policy })} /> Run on an
          undo disk (the base disk is untouched until you commit)
        </label>
        <label htmlFor="undo-policy">At power-off</label>
        <select id="undo-policy" value={policy} onChange={(e) => set.mutate({ vmId, enabled, policy: e.target.value as typeof policy })}>
          <option value="ask">Ask me</option>
          <option value="keep">Always keep</option>
          <option value="commit">Always commit</option>
          <option value="discard">Always discard</option>
        </select>
      </fieldset>
      {set.error && (
        <p role="alert" className="error">
          {set.error.message}
        </p>
      )}
    </section>
  );
}
