"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/react";

export function GroupsAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = { onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() }) };
  const groups = useQuery(trpc.users.groups.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const create = useMutation(trpc.users.createGroup.mutationOptions(refresh));
  const membership = useMutation(trpc.users.setMembership.mutationOptions(refresh));
  const [name, setName] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, description: "" }, { onSuccess: () => setName("") });
  };
  return (
    <>
      <section aria-labelledby="groups-h">
        <h2 id="groups-h">Groups</h2>
        {(create.error ?? membership.error) && (
          <p role="alert" className="error">
            {(create.error ?? membership.error)?.message}
          </p>
        )}
        <ul className="groups">
          {groups.data?.map((g) => (
            <li key={g.id}>
              <strong>{g.name}</strong>:{" "}
              {g.members.map((m) => (
                <span key={m.user.id} className="chip">
                  {m.user.email}{" "}
                  <button
                    type="button"
                    aria-label={`Remove ${m.user.email} from ${g.name}`}
                    onClick={() => membership.mutate({ userId: m.user.id, groupId: g.id, member: false })}
                  >
                    ×
                  </button>
                </span>
              ))}
              <select
                aria-label={`Add a member to ${g.name}`}
                value=""
                onChange={(e) => e.target.value && membership.mutate({ userId: e.target.value, groupId: g.id, member: true })}
              >
                <option value="">+ member</option>
                {users.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.email}
                  </option>
                ))}
              </select>
            </li>
          ))}
        </ul>
        <form onSubmit={submit} className="toolbar" aria-label="New group">
          <label>
            Group name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" disabled={create.isPending}>
            Create group
          </button>
        </form>
      </section>
    </>
  );
}
