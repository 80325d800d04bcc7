"use client";
// The snapshot tree: parent/children, "you are here", take / revert / rename / delete. Revert and
// delete ask first, saying what is lost; rename is a form dialog.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";
import { SnapshotActions } from "./SnapshotActions";

type Snap = RouterOutputs["snapshot"]["list"][number];

export function VmSnapshots({ vmId, canSnapshot }: { vmId: string; canSnapshot: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.snapshot.list.queryOptions({ vmId }));
  const done = {
    onSuccess: () =>
      queryClient
        .invalidateQueries({ queryKey: trpc.snapshot.list.queryKey({ vmId }) })
        .then(() => queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() })),
  };
  const take = useMutation(trpc.snapshot.take.mutationOptions(done));
  const revert = useMutation(trpc.snapshot.revert.mutationOptions(done));
  const [name, setName] = useState("");
  const busy = take.isPending || revert.isPending;
  const error = take.error;
  const current = list.data?.find((s) => s.current) ?? null;
  const children = (parentId: string | null) => (list.data ?? []).filter((s) => s.parentId === parentId);

  const node = (s: Snap) => (
    <li key={s.id} data-snapshot={s.name}>
      <span className={s.current ? "snap current" : "snap"}>
        <strong>{s.name}</strong> {s.withRam ? "(with RAM)" : "(disk only)"} · {formatTime(s.createdAt)}
        {s.current && <span className="badge state-running"> you are here</span>}
        {s.description && <span className="muted"> — {s.description}</span>}
      </span>
      {canSnapshot && (
        <SnapshotActions
          vmId={vmId}
          snapshot={s}
          current={current}
          disabled={busy}
          onRevert={() => revert.mutateAsync({ vmId, snapshotId: s.id })}
          onChanged={done.onSuccess}
        />
      )}
      {children(s.id).length > 0 && <ul>{children(s.id).map(node)}</ul>}
    </li>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    take.mutate({ vmId, name, description: "" }, { onSuccess: () => setName("") });
  };
  return (
    <section aria-label="Snapshots">
      {canSnapshot && (
        <form onSubmit={submit} className="toolbar" aria-label="Take snapshot">
          <label>
            Snapshot name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <button type="submit" className="primary" disabled={busy || !name}>
            {take.isPending ? "Taking snapshot…" : "Take snapshot"}
          </button>
          {revert.isPending && <span role="status">Reverting…</span>}
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      {list.data?.length === 0 && <p className="muted">No snapshots yet.</p>}
      <ul className="snapshot-tree">{children(null).map(node)}</ul>
    </section>
  );
}
