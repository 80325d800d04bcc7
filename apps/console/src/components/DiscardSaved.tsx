"use client";
// Next to the power buttons while a VM is suspended: drop its saved state, so it boots afresh.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";

export function DiscardSaved({ vmId, name, state, canPower }: { vmId: string; name: string; state: string; canPower: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const discard = useMutation(
    trpc.vm.discardSaved.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() }) }),
  );
  if (state !== "suspended" || !canPower) return null;
  return (
    <ConfirmDialog
      trigger={<button type="button">Discard saved state…</button>}
      title={`Discard the saved state of '${name}'?`}
      confirmLabel="Discard saved state"
      pendingLabel="Discarding…"
      onConfirm={() => discard.mutateAsync({ vmId })}
    >
      <p>
        The RAM it was saved with is deleted: programs it was running and anything not yet written to its disks are lost. Its disks are
        kept, and it starts from a fresh boot.
      </p>
    </ConfirmDialog>
  );
}
