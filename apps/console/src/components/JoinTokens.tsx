"use client";
// The Hosts page's join tokens of the last week (host.admin): when each was made and by whom, until
// when it works, and what became of it (used by which host, expired, revoked). A token no host has
// used yet can be revoked; a host that tries it afterwards is refused, and told it was revoked.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";
import { formatTime } from "./format";

const STATUS = { waiting: "waiting for a host", used: "used", expired: "expired", revoked: "revoked" } as const;

export function JoinTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.host.joinTokens.queryOptions(), refetchInterval: 5000 });
  const revoke = useMutation(
    trpc.host.revokeJoinToken.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.host.joinTokens.queryKey() }),
    }),
  );
  if (list.error)
    return (
      <p role="alert" className="error">
        {list.error.message}
      </p>
    );
  if (!list.data?.length) return null;
  return (
    <section aria-label="Recent join tokens">
      <h2>Recent join tokens</h2>
      <table className="grid compact">
        <thead>
          <tr>
            <th>Made</th>
            <th>By</th>
            <th>Works until</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data.map((t) => (
            <tr key={t.id} data-token={t.id}>
              <td>{formatTime(t.createdAt)}</td>
              <td>{t.createdBy ?? "—"}</td>
              <td>{formatTime(t.expiresAt)}</td>
              <td data-testid="token-status">
                {STATUS[t.status]}
                {t.status === "used" && t.hostName ? ` by ${t.hostName}` : ""}
                {t.status === "used" && t.usedAt ? `, ${formatTime(t.usedAt)}` : ""}
                {t.status === "revoked" && t.revokedAt ? ` ${formatTime(t.revokedAt)}` : ""}
              </td>
              <td>
                {t.status === "waiting" && (
                  <ConfirmDialog
                    trigger={<button type="button">Revoke</button>}
                    title="Revoke this join token?"
                    confirmLabel="Revoke token"
                    pendingLabel="Revoking…"
                    onConfirm={() => revoke.mutateAsync({ tokenId: t.id })}
                  >
                    <p>No host can join with it any more. A host that tries is told the token was revoked.</p>
                  </ConfirmDialog>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
