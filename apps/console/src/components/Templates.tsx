"use client";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";
import { ConfirmDialog } from "./ConfirmDialog";

export function Templates() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.template.list.queryOptions());
  const clone = useMutation(trpc.template.clone.mutationOptions({ onSuccess: ({ id }) => router.push(`/vms/${id}`) }));
  const remove = useMutation(
    trpc.template.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.template.list.queryKey() }) }),
  );
  const [names, setNames] = useState<Record<string, string>>({});
  const error = clone.error;
  return (
    <>
      <h1>Templates</h1>
      <p className="muted">
        Make a template from a VM's page (Settings → Make template). A template made from a running VM keeps its RAM, so its clones start
        instantly.
      </p>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      {clone.isPending && <p role="status">Cloning…</p>}
      <table className="grid">
        <thead>
          <tr>
            <th>Template</th>
            <th>Kind</th>
            <th>Clones</th>
            <th>Created</th>
            <th>New VM from it</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((t) => (
            <tr key={t.id} data-template={t.name}>
              <td>
                {t.name}
                <div className="muted">{t.description}</div>
              </td>
              <td>{t.onHost ? (t.withRam ? "disk + RAM state" : "disk") : "boot recipe"}</td>
              <td>{t.clones.map((c) => c.name).join(", ") || "—"}</td>
              <td>{formatTime(t.createdAt)}</td>
              <td>
                {t.onHost ? (
                  <div className="toolbar">
                    <label>
                      Name
                      <input value={names[t.id] ?? ""} onChange={(e) => setNames({ ...names, [t.id]: e.target.value })} />
                    </label>
                    {t.withRam && (
                      <button
                        type="button"
                        className="primary"
                        disabled={clone.isPending}
                        onClick={() => clone.mutate({ templateId: t.id, name: names[t.id] ?? "", mode: "instant" })}
                      >
                        Instant clone
                      </button>
                    )}
                    <button
                      type="button"
                      disabled={clone.isPending}
                      onClick={() => clone.mutate({ templateId: t.id, name: names[t.id] ?? "", mode: "linked" })}
                    >
                      Linked clone
                    </button>
                    <button
                      type="button"
                      disabled={clone.isPending}
                      onClick={() => clone.mutate({ templateId: t.id, name: names[t.id] ?? "", mode: "full" })}
                    >
                      Full clone
                    </button>
                  </div>
                ) : (
                  <Link href={`/vms/new?template=${encodeURIComponent(t.id)}`}>New VM…</Link>
                )}
              </td>
              <td>
                <ConfirmDialog
                  trigger={<button type="button">Delete</button>}
                  title={`Delete template '${t.name}'?`}
                  confirmLabel="Delete template"
                  pendingLabel="Deleting…"
                  onConfirm={() => remove.mutateAsync({ templateId: t.id })}
                >
                  <p>
                    {t.onHost
                      ? `Its saved disks${t.withRam ? " and RAM state" : ""} are deleted from the host; no more VMs can be made from it.`
                      : "The boot recipe leaves the New VM wizard."}{" "}
                    This cannot be undone.
                  </p>
                </ConfirmDialog>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
