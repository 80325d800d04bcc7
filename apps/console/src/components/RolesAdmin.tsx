"use client";
// Roles are named sets of permissions: the built-ins are fixed, custom ones can be made and edited.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { PERMISSIONS, type Permission } from "@guesthouse/shared/permissions";
import { useTRPC } from "@/trpc/react";

export function RolesAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const roles = useQuery(trpc.access.roles.queryOptions());
  const refresh = { onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.access.roles.queryKey() }) };
  const create = useMutation(trpc.access.createRole.mutationOptions(refresh));
  const update = useMutation(trpc.access.updateRole.mutationOptions(refresh));
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<Set<Permission>>(new Set(["vm.view"]));
  const toggle = (p: Permission) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(p)) n.delete(p);
      else n.add(p);
      return n;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, description: "", permissions: [...picked] }, { onSuccess: () => setName("") });
  };
  const error = create.error ?? update.error;
  return (
    <section aria-labelledby="roles-h">
      <h2 id="roles-h">Roles</h2>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>Role</th>
            <th>Permissions</th>
          </tr>
        </thead>
        <tbody>
          {roles.data?.map((r) => (
            <tr key={r.id} data-role={r.name}>
              <td>
                {r.name}
                {r.builtIn ? " (built in)" : ""}
              </td>
              <td>
                {r.builtIn
                  ? r.permissions.join(", ")
                  : PERMISSIONS.map((p) => (
                      <label key={p} className="inline perm">
                        <input
                          type="checkbox"
                          checked={r.permissions.includes(p)}
                          disabled={update.isPending}
                          onChange={() =>
                            update.mutate({
                              roleId: r.id,
                              name: r.name,
                              description: r.description,
                              permissions: r.permissions.includes(p)
                                ? (r.permissions.filter((x) => x !== p) as Permission[])
                                : [...(r.permissions as Permission[]), p],
                            })
                          }
                        />
                        {p}
                      </label>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} className="stack" aria-label="New role">
        <label>
          Role name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset>
          <legend>Permissions</legend>
          <div className="row">
            {PERMISSIONS.map((p) => (
              <label key={p} className="inline">
                <input type="checkbox" checked={picked.has(p)} onChange={() => toggle(p)} /> {p}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" disabled={create.isPending || !name || picked.size === 0}>
          Create role
        </button>
      </form>
    </section>
  );
}
