"use client";
// A VM's NICs: network, model, MAC, the address its host's DHCP server leased, the link; add and
// remove (hot-plugged while a modern VM runs; otherwise refused with the reason), and port forwards.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { nicHotplugRefusal } from "@guesthouse/shared/network";
import { refusal, type PowerState, type VmOperationName } from "@guesthouse/shared/vm-operations";
import { useTRPC } from "@/trpc/react";

interface Props {
  vmId: string;
  name: string;
  state: PowerState;
  profile: "modern" | "legacy";
  canConfig: boolean;
}

/** The operations table's refusal, or, while it runs, why this profile's NICs are not hot-plugged. */
const nicChangeRefusal = (op: VmOperationName, p: Props) =>
  refusal(op, p.name, p.state) ?? (p.state === "running" ? nicHotplugRefusal(p.profile, p.name) : undefined);

export function VmNetwork(props: Props) {
  const { vmId, canConfig } = props;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Addresses appear when the guest's DHCP client has asked: poll while the page is open.
  const nics = useQuery({ ...trpc.vm.nics.queryOptions({ vmId }), refetchInterval: 2000 });
  const networks = useQuery({ ...trpc.network.list.queryOptions(), enabled: canConfig, retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.vm.nics.queryKey({ vmId }) });
  const add = useMutation(trpc.vm.nicAdd.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.vm.nicRemove.mutationOptions({ onSuccess: refresh }));
  const link = useMutation(trpc.vm.nicLink.mutationOptions({ onSuccess: refresh }));
  const forward = useMutation(trpc.vm.forwardAdd.mutationOptions({ onSuccess: refresh }));
  const unforward = useMutation(trpc.vm.forwardRemove.mutationOptions({ onSuccess: refresh }));
  const [networkId, setNetworkId] = useState("");
  const addRefusal = nicChangeRefusal("nicAdd", props);
  const removeRefusal = nicChangeRefusal("nicRemove", props);
  const error = add.error ?? remove.error ?? link.error ?? forward.error ?? unforward.error;

  const onForward = (e: FormEvent<HTMLFormElement>, nicId: string) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    forward.mutate({
      vmId,
      nicId,
      protocol: f.get("protocol") === "udp" ? "udp" : "tcp",
      hostPort: Number(f.get("hostPort")),
      guestPort: Number(f.get("guestPort")),
    });
  };

  return (
    <section aria-label="Network">
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>NIC</th>
            <th>Network</th>
            <th>Model</th>
            <th>MAC</th>
            <th>IPv4 address</th>
            <th>Link</th>
            <th>Port forwards</th>
          </tr>
        </thead>
        <tbody>
          {nics.data?.map((n) => (
            <tr key={n.id} data-nic={n.slot}>
              <td>eth{n.slot}</td>
              <td>{n.network.name}</td>
              <td>{n.model}</td>
              <td className="detail">{n.mac}</td>
              <td data-testid={`nic-${n.slot}-address`}>{n.ipv4 ?? (n.network.kind === "user" ? "user-mode (not shown)" : "—")}</td>
              <td>
                {n.linkUp ? "up" : "down"}
                {canConfig && (
                  <button type="button" onClick={() => link.mutate({ vmId, nicId: n.id, up: !n.linkUp })} disabled={link.isPending}>
                    {n.linkUp ? "Unplug cable" : "Plug in cable"}
                  </button>
                )}
                {canConfig && (
                  <button
                    type="button"
                    disabled={!!removeRefusal || remove.isPending}
                    title={removeRefusal}
                    onClick={() => remove.mutate({ vmId, nicId: n.id })}
                  >
                    Remove NIC
                  </button>
                )}
              </td>
              <td>
                <ul>
                  {n.forwards.map((f) => (
                    <li key={f.id}>
                      {f.protocol} host:{f.hostPort} → {f.guestPort}
                      {canConfig && (
                        <button type="button" onClick={() => unforward.mutate({ vmId, forwardId: f.id })}>
                          Remove
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
                {canConfig && n.network.kind === "nat" && (
                  <form onSubmit={(e) => onForward(e, n.id)} aria-label={`Port forward to eth${n.slot}`}>
                    <select name="protocol" aria-label="Protocol">
                      <option value="tcp">tcp</option>
                      <option value="udp">udp</option>
                    </select>
                    <PortInput name="hostPort" label="host port" />
                    <PortInput name="guestPort" label="guest port" />
                    <button type="submit" disabled={forward.isPending}>
                      Add forward
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nics.data?.length === 0 && <p className="muted">No NICs: this VM has no network.</p>}
      {canConfig && (
        <div className="toolbar">
          <label>
            New NIC on
            <select value={networkId} onChange={(e) => setNetworkId(e.target.value)}>
              <option value="">Choose a network…</option>
              {networks.data?.map((n) => (
                <option key={n.id} value={n.id}>
                  {n.name} ({n.kind})
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            disabled={!networkId || !!addRefusal || add.isPending}
            title={addRefusal}
            onClick={() => add.mutate({ vmId, networkId })}
          >
            Add NIC
          </button>
          {addRefusal && <span className="muted">{addRefusal}</span>}
        </div>
      )}
    </section>
  );
}

/** A port field of the forward form, wide enough for its placeholder and five digits (globals.css). */
function PortInput({ name, label }: { name: string; label: string }) {
  const aria = label.charAt(0).toUpperCase() + label.slice(1);
  return <input name={name} className="port" type="number" min={1} max={65535} placeholder={label} aria-label={aria} required />;
}
