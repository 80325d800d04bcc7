"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/react";
import { ResetPassword } from "./ResetPassword";

export function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = {
    onSuccess: () =>
      queryClient
        .invalidateQueries({ queryKey: trpc.users.pathKey() })
        .then(() => queryClient.invalidateQueries({ queryKey: trpc.access.pathKey() })),
  };
  const users = useQuery(trpc.users.list.queryOptions());
  const roles = useQuery(trpc.access.roles.queryOptions());
  const grants = useQuery(trpc.access.grants.queryOptions({}));
  const create = useMutation(trpc.users.create.mutationOptions(refresh));
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions(refresh));
  const [resetDone, setResetDone] = useState<string | null>(null);
  const grant = useMutation(trpc.access.grant.mutationOptions(refresh));
  const revoke = useMutation(trpc.access.revoke.mutationOptions(refresh));
  const [form, setForm] = useState({ email: "", name: "", password: "" });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(form, { onSuccess: () => setForm({ email: "", name: "", password: "" }) });
  };
  const globalGrants = (userId: string) => grants.data?.filter((g) => g.user?.id === userId && g.scope === "global") ?? [];
  const error = create.error ?? setDisabled.error ?? grant.error ?? revoke.error;
  return (
    <section aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      {resetDone && <p role="status">Password of {resetDone} reset; their sessions were ended.</p>}
      <table className="grid">
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Name</th>
            <th>Groups</th>
            <th>Global roles</th>
            <th>Status</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>{u.memberships.map((m) => m.group.name).join(", ") || "—"}</td>
              <td>
                {globalGrants(u.id).map((g) => (
                  <span key={g.id} className="chip">
                    {g.role.name}{" "}
                    <button
                      type="button"
                      aria-label={`Revoke ${g.role.name} from ${u.email}`}
                      onClick={() => revoke.mutate({ grantId: g.id })}
                    >
                      ×
                    </button>
                  </span>
                ))}
                <select
                  aria-label={`Add a global role to ${u.email}`}
                  value=""
                  onChange={(e) => e.target.value && grant.mutate({ roleId: e.target.value, userId: u.id })}
                >
                  <option value="">+ role</option>
                  {roles.data?.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? "disabled" : "active"}</td>
              <td>
                <button type="button" onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}>
                  {u.disabled ? "Enable" : "Disable"}
                </button>{" "}
                <ResetPassword userId={u.id} email={u.email} onDone={() => setResetDone(u.email)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} className="toolbar" aria-label="New user">
        <label>
          E-mail
          <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
        <label>
          Name
          <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Password
          <input
            type="password"
            required
            minLength={12}
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create user
        </button>
      </form>
    </section>
  );
}
