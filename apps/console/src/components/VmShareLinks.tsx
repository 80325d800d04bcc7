"use client";
// Share links of one VM's console (docs/decisions/0028-console-share-links.md): make one, see who
// came through each, revoke. The link is shown once, when it is made; only its hash is kept.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/react";

const EXPIRIES: [string, number][] = [
  ["1 minute", 60],
  ["15 minutes", 15 * 60],
  ["1 hour", 60 * 60],
  ["8 hours", 8 * 60 * 60],
  ["1 day", 24 * 60 * 60],
  ["7 days", 7 * 24 * 60 * 60],
];

export function VmShareLinks({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const links = useQuery({ ...trpc.share.list.queryOptions({ vmId }), refetchInterval: 3000 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.share.list.queryKey({ vmId }) });
  const create = useMutation(trpc.share.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.share.revoke.mutationOptions({ onSuccess: refresh }));
  const [mode, setMode] = useState<"view" | "control">("view");
  const [expires, setExpires] = useState(60 * 60);
  const [singleUse, setSingleUse] = useState(false);
  const [pin, setPin] = useState("");
  const [label, setLabel] = useState("");
  const [made, setMade] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { vmId, mode, expiresInSeconds: expires, singleUse, pin: pin || undefined, label },
      { onSuccess: (l) => setMade(`${window.location.origin}/share#${l.token}`) },
    );
  };
  return (
    <section aria-labelledby="share-h">
      <h2 id="share-h">Share links</h2>
      <form onSubmit={submit} className="toolbar" aria-label="Make a share link">
        <label>
          Link gives{" "}
          <select value={mode} onChange={(e) => setMode(e.target.value as "view" | "control")}>
            <option value="view">View only</option>
            <option value="control">Control</option>
          </select>
        </label>
        <label>
          Expires after{" "}
          <select value={expires} onChange={(e) => setExpires(Number(e.target.value))}>
            {EXPIRIES.map(([name, s]) => (
              <option key={s} value={s}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={singleUse} onChange={(e) => setSingleUse(e.target.checked)} /> Single use
        </label>
        <label>
          PIN (optional) <input inputMode="numeric" value={pin} onChange={(e) => setPin(e.target.value)} size={8} />
        </label>
        <label>
          Label <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="who it is for" />
        </label>
        <button type="submit" disabled={create.isPending}>
          Make link
        </button>
      </form>
      {create.error && (
        <p role="alert" className="error">
          {create.error.message}
        </p>
      )}
      {made && (
        <p className="toolbar">
          <label>
            New share link (shown once){" "}
            <input readOnly value={made} size={60} onFocus={(e) => e.target.select()} aria-label="New share link" />
          </label>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(made)}>
            Copy
          </button>
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>Label</th>
            <th>Gives</th>
            <th>Status</th>
            <th>Expires</th>
            <th>Viewers</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {links.data?.map((l) => (
            <tr key={l.id} data-share={l.id}>
              <td>
                {l.label || "—"}
                {l.pin ? " · PIN" : ""}
                {l.singleUse ? " · single use" : ""}
              </td>
              <td>{l.mode === "view" ? "view only" : "control"}</td>
              <td>{l.status === "revoked" ? `revoked by ${l.revokedByName}` : l.status}</td>
              <td>{new Date(l.expiresAt).toLocaleString()}</td>
              <td>{l.viewers}</td>
              <td>
                {l.status !== "revoked" && l.status !== "expired" && (
                  <button type="button" onClick={() => revoke.mutate({ vmId, linkId: l.id })}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
          {links.data?.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No share links yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
