"use client";
// Revert, rename and delete of one snapshot, each behind a dialog that says what changes.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { RouterOutputs } from "@guesthouse/api";
import { SnapshotNameSchema } from "@guesthouse/shared/console-api";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";
import { FormDialog } from "./FormDialog";
import { formatTime } from "./format";

type Snap = RouterOutputs["snapshot"]["list"][number];

interface Props {
  vmId: string;
  snapshot: Snap;
  /** The snapshot the VM's present state descends from ("you are here"), if any. */
  current: Snap | null;
  disabled: boolean;
  onRevert: () => Promise<unknown>;
  onChanged: () => Promise<unknown>;
}

export function SnapshotActions({ vmId, snapshot: s, current, disabled, onRevert, onChanged }: Props) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.snapshot.delete.mutationOptions({ onSuccess: onChanged }));
  const rename = useMutation(trpc.snapshot.update.mutationOptions({ onSuccess: onChanged }));
  const [form, setForm] = useState({ name: s.name, description: s.description });
  const since = current ? `since snapshot '${current.name}' (${formatTime(current.createdAt)})` : "since it was made";
  const saveRename = async () => {
    const name = SnapshotNameSchema.safeParse(form.name);
    if (!name.success) throw new Error(name.error.issues[0]?.message ?? "Check the name");
    await rename.mutateAsync({ vmId, snapshotId: s.id, name: name.data, description: form.description });
  };
  return (
    <>
      {" "}
      <ConfirmDialog
        trigger={
          <button type="button" disabled={disabled}>
            Revert
          </button>
        }
        title={`Revert to snapshot '${s.name}'?`}
        confirmLabel="Revert"
        pendingLabel="Reverting…"
        onConfirm={onRevert}
      >
        <p>
          The VM's current state {since} is discarded: what it has written to its disks{s.withRam ? " and what is in its RAM" : ""} since
          then is lost. Take a snapshot first to keep it.
        </p>
        <p>
          It goes back to how it was at {formatTime(s.createdAt)}
          {s.withRam ? ", running" : ", powered off"}.
        </p>
      </ConfirmDialog>{" "}
      <FormDialog
        trigger={
          <button type="button" disabled={disabled}>
            Rename
          </button>
        }
        title={`Rename snapshot '${s.name}'`}
        description="The name and description are labels only; the snapshot's contents do not change."
        submitLabel="Save"
        onSubmit={saveRename}
        onOpenChange={(open) => open && setForm({ name: s.name, description: s.description })}
      >
        <label>
          Name
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required maxLength={64} />
        </label>
        <label>
          Description
          <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} maxLength={500} />
        </label>
      </FormDialog>{" "}
      <ConfirmDialog
        trigger={
          <button type="button" disabled={disabled}>
            Delete
          </button>
        }
        title={`Delete snapshot '${s.name}'?`}
        confirmLabel="Delete snapshot"
        pendingLabel="Deleting…"
        onConfirm={() => remove.mutateAsync({ vmId, snapshotId: s.id })}
      >
        <p>
          You can no longer go back to how the VM was at {formatTime(s.createdAt)}. The VM itself and the other snapshots stay as they are.
        </p>
      </ConfirmDialog>
    </>
  );
}
