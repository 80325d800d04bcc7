"use client";
// The snapshot tree: parent/children, "you are here", take / revert / rename / delete.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";

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
  const remove = useMutation(trpc.snapshot.delete.mutationOptions(done));
  const rename = useMutation(trpc.snapshot.update.mutationOptions(done));
  const describe = (s: Snap) => {
    const name = window.prompt("Snapshot name", s.name);
    if (name === null) return;
    const description = window.prompt("Description", s.description) ?? s.description;
    rename.mutate({ vmId, snapshotId: s.id, name, description });
  };
  const [name, setName] = useState("");
  const busy = take.isPending || revert.isPending || remove.isPending;
  const error = take.error ?? revert.error ?? remove.error ?? rename.error;
  const children = (parentId: string | null) => (list.data ?? []).filter((s) => s.parentId === parentId);

  const node = (s: Snap) => (
    <li key={s.id} data-snapshot={s.name}>
      <span className={s.current ? "snap current" : "snap"}>
        <strong>{s.name}</strong> {s.withRam ? "(with RAM)" : "(disk only)"} · {formatTime(s.createdAt)}
        {s.current && <span className="badge state-running"> you are here</span>}
        {s.description && <span className="muted"> — {s.description}</span>}
      </span>
      {canSnapshot && (
        <>
          {" "}
          <button type="button" disabled={busy} onClick={() => revert.mutate({ vmId, snapshotId: s.id })}>
            Revert
          </button>{" "}
          <button type="button" disabled={busy} onClick={() => describe(s)}>
            Rename
          </button>{" "}
          <button type="button" disabled={busy} onClick={() => remove.mutate({ vmId, snapshotId: s.id })}>
            Delete
          </button>
        </>
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
