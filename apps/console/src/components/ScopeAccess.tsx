"use client";
// Who holds which role on one VM (its Access tab) or on one network (the Networks page, where only
// roles with network.use mean anything: docs/decisions/0051); grant and revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/react";

type Scope = { vmId: string } | { networkId: string };

export function ScopeAccess({ scope, roleHeader, emptyText }: { scope: Scope; roleHeader: string; emptyText: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const grants = useQuery(trpc.access.grants.queryOptions(scope));
  const roles = useQuery(trpc.access.roles.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const groups = useQuery(trpc.users.groups.queryOptions());
  const offered = "networkId" in scope ? roles.data?.filter((r) => r.permissions.includes("network.use")) : roles.data;
  const refresh = { onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.access.grants.queryKey(scope) }) };
  const grant = useMutation(trpc.access.grant.mutationOptions(refresh));
  const revoke = useMutation(trpc.access.revoke.mutationOptions(refresh));
  const [subject, setSubject] = useState("");
  const [roleId, setRoleId] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [kind, id] = subject.split(":");
    grant.mutate({ roleId, ...scope, ...(kind === "user" ? { userId: id } : { groupId: id }) });
  };
  return (
    <>
      <table className="grid">
        <thead>
          <tr>
            <th>Who</th>
            <th>{roleHeader}</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {grants.data?.map((g) => (
            <tr key={g.id}>
              <td>{g.user?.email ?? `group ${g.group?.name}`}</td>
              <td>{g.role.name}</td>
              <td>
                <button type="button" onClick={() => revoke.mutate({ grantId: g.id })}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
          {grants.data?.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                {emptyText}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form onSubmit={submit} className="toolbar" aria-label="Grant access">
        <label>
          User or group
          <select value={subject} onChange={(e) => setSubject(e.target.value)} required>
            <option value="">Choose…</option>
            {users.data?.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.email}
              </option>
            ))}
            {groups.data?.map((g) => (
              <option key={g.id} value={`group:${g.id}`}>
                group {g.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Role
          <select value={roleId} onChange={(e) => setRoleId(e.target.value)} required>
            <option value="">Choose…</option>
            {offered?.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={grant.isPending}>
          Grant
        </button>
        {grant.error && (
          <span role="alert" className="error">
            {grant.error.message}
          </span>
        )}
      </form>
    </>
  );
}
