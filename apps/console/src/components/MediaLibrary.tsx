"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ChangeEvent } from "react";
import { useTRPC } from "@/trpc/react";
import { formatBytes, formatTime } from "./format";
import { uploadFile } from "./upload";
import { ConfirmDialog } from "./ConfirmDialog";

export function MediaLibrary() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.media.list.queryOptions());
  const remove = useMutation(
    trpc.media.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.media.list.queryKey() }) }),
  );
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setResult(null);
    setProgress(0);
    const outcome = await uploadFile(file, setProgress);
    setProgress(null);
    setResult(outcome);
    e.target.value = "";
    void queryClient.invalidateQueries({ queryKey: trpc.media.list.queryKey() });
  };
  return (
    <>
      <h1>ISO library</h1>
      <div className="toolbar">
        <label>
          Upload an ISO or disk image
          <input type="file" accept=".iso,.img,.qcow2,.raw" onChange={(e) => void onFile(e)} disabled={progress !== null} />
        </label>
        {progress !== null && (
          <label>
            Uploading… {Math.round(progress * 100)}%
            <progress value={progress} max={1} aria-label="Upload progress" />
          </label>
        )}
      </div>
      {result && (
        <p role={result.ok ? "status" : "alert"} className={result.ok ? "" : "error"}>
          {result.message}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Size</th>
            <th>sha256</th>
            <th>Used by</th>
            <th>Added</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((m) => (
            <tr key={m.id} data-media={m.name}>
              <td>{m.name}</td>
              <td>{m.kind}</td>
              <td>{formatBytes(m.sizeBytes)}</td>
              <td className="detail" title={m.sha256}>
                {m.sha256.slice(0, 16)}…
              </td>
              <td>
                {[
                  ...m.vms.map((v) => v.name),
                  ...(m.otherVms ? [`${m.otherVms} other VM${m.otherVms > 1 ? "s" : ""}`] : []),
                  ...m.templates.map((t) => `template ${t.name}`),
                ].join(", ") || "—"}
              </td>
              <td>
                {formatTime(m.createdAt)}
                {m.uploadedBy ? ` by ${m.uploadedBy.email}` : ""}
              </td>
              <td>
                <ConfirmDialog
                  trigger={<button type="button">Delete</button>}
                  title={`Delete '${m.name}'?`}
                  confirmLabel="Delete file"
                  pendingLabel="Deleting…"
                  onConfirm={() => remove.mutateAsync({ mediaId: m.id })}
                >
                  <p>
                    The file ({formatBytes(m.sizeBytes)}) is deleted from the library and from the host; to use it again, upload it again.
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
