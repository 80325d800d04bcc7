"use client";
// The Networks page: what each network is, which VMs use it, its port forwards; create and delete
// (network.admin), with the server's refusal shown as it was given; who may use each network
// (user.admin: grants on the network, docs/decisions/0051).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { NETWORK_KINDS, type NetworkKind } from "@guesthouse/shared/network";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";
import { ScopeAccess } from "./ScopeAccess";

const KIND_LABEL: Record<NetworkKind, string> = {
  nat: "NAT (DHCP, DNS, outbound masquerade)",
  isolated: "Isolated (guests see only each other)",
  bridged: "Bridged (join a host bridge)",
  user: "User-mode NAT (fallback without CAP_NET_ADMIN; slow)",
};

export function Networks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const isAdmin = me.data?.permissions.includes("network.admin") ?? false;
  const isUserAdmin = me.data?.permissions.includes("user.admin") ?? false;
  const [accessFor, setAccessFor] = useState<{ id: string; name: string } | null>(null);
  const list = useQuery(trpc.network.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.network.list.queryKey() });
  const create = useMutation(trpc.network.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.network.delete.mutationOptions({ onSuccess: refresh }));
  const [kind, setKind] = useState<NetworkKind>("nat");

  const onCreate = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = String(f.get("name") ?? "");
    const subnet = String(f.get("subnet") ?? "");
    const input =
      kind === "nat"
        ? { kind, name, subnet, isDefault: f.get("isDefault") === "on" }
        : kind === "isolated"
          ? { kind, name, ...(subnet ? { subnet } : {}) }
          : kind === "bridged"
            ? { kind, name, bridge: String(f.get("bridge") ?? "") }
            : { kind, name };
    create.mutate(input);
  };

  return (
    <>
      <h1>Networks</h1>
      {isAdmin && (
        <form className="toolbar" onSubmit={onCreate} aria-label="New network">
          <label>
            Name
            <input name="name" required maxLength={64} />
          </label>
          <label>
            Kind
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as NetworkKind)}>
              {NETWORK_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          {(kind === "nat" || kind === "isolated") && (
            <label>
              Subnet{kind === "isolated" ? " (optional: DHCP)" : ""}
              <input name="subnet" placeholder="10.77.0.0/24" required={kind === "nat"} />
            </label>
          )}
          {kind === "bridged" && (
            <label>
              Host bridge
              <input name="bridge" placeholder="br0" required />
            </label>
          )}
          {kind === "nat" && (
            <label>
              <input type="checkbox" name="isDefault" /> Default for new VMs
            </label>
          )}
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create network"}
          </button>
        </form>
      )}
      {create.error && (
        <p role="alert" className="error">
          {create.error.message}
        </p>
      )}
      {remove.error && (
        <p role="alert" className="error">
          {remove.error.message}
        </p>
      )}
      {list.error && (
        <p role="alert" className="error">
          {list.error.message}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Bridge</th>
            <th>Subnet</th>
            <th>VMs</th>
            <th>Port forwards</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((n) => (
            <tr key={n.id} data-network={n.name}>
              <td>
                {n.name}
                {n.isDefault ? " (default)" : ""}
              </td>
              <td>{n.kind}</td>
              <td>{n.bridge ?? "—"}</td>
              <td>{n.subnet ?? "—"}</td>
              <td>{[...n.vms.map((v) => v.name), ...(n.otherVms ? [`${n.otherVms} other`] : [])].join(", ") || "—"}</td>
              <td>{n.forwards.map((f) => `${f.protocol}/${f.hostPort} → ${f.vmName}:${f.guestPort}`).join(", ") || "—"}</td>
              <td>
                {isUserAdmin && (
                  <button type="button" aria-pressed={accessFor?.id === n.id} onClick={() => setAccessFor({ id: n.id, name: n.name })}>
                    Access
                  </button>
                )}{" "}
                {isAdmin && (
                  <ConfirmDialog
                    trigger={<button type="button">Delete</button>}
                    title={`Delete network '${n.name}'?`}
                    confirmLabel="Delete network"
                    pendingLabel="Deleting…"
                    onConfirm={() => remove.mutateAsync({ networkId: n.id })}
                  >
                    <p>Its bridge, DHCP server and firewall rules are removed from the host.</p>
                  </ConfirmDialog>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {accessFor && (
        <section className="panel" aria-label={`Access to network '${accessFor.name}'`}>
          <h2>Who may put VMs on &apos;{accessFor.name}&apos;</h2>
          <ScopeAccess
            key={accessFor.id}
            scope={{ networkId: accessFor.id }}
            roleHeader="Role on this network"
            emptyText="Only users with network.use everywhere (for example Administrators) can put VMs on this network."
          />
          <button type="button" onClick={() => setAccessFor(null)}>
            Close
          </button>
        </section>
      )}
    </>
  );
}
