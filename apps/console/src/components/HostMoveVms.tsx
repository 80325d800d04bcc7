"use client";
// "Move VMs…" on a Hosts page row: some or all of a host's VMs to another host in one go, as
// Proxmox's bulk migrate does. Each is an ordinary move (vm.migrate, ADR 0044): live while it runs,
// cold while stopped, one after another, each in the Tasks panel. A VM that cannot move is named
// with the reason and stays; the others still go.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { FormDialog } from "./FormDialog";

export function HostMoveVms({ host, others }: { host: { id: string; name: string }; others: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState(false);
  // Read only while the dialog is open: the page has a row per host.
  const vms = useQuery({ ...trpc.vm.list.queryOptions({ hostId: host.id, pageSize: 200 }), enabled: open });
  const migrate = useMutation(trpc.vm.migrate.mutationOptions());
  const toggle = (id: string) => setChosen((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  const moveAll = async () => {
    if (!target) throw new Error("Choose the host to move them to");
    if (chosen.size === 0) throw new Error("Choose at least one VM");
    const failed: string[] = [];
    for (const vm of vms.data?.items.filter((v) => chosen.has(v.id)) ?? []) {
      await migrate.mutateAsync({ vmId: vm.id, targetHostId: target }).catch((e: Error) => failed.push(`${vm.name}: ${e.message}`));
    }
    await queryClient.invalidateQueries({ queryKey: trpc.vm.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() });
    if (failed.length) throw new Error(`Not moved: ${failed.join("; ")}`);
  };
  return (
    <FormDialog
      trigger={
        <button type="button" disabled={others.length === 0}>
          Move VMs…
        </button>
      }
      title={`Move VMs off '${host.name}'`}
      description="Running VMs keep running: their disks and RAM are copied while they run. Stopped ones are copied as files. One at a time."
      submitLabel="Move"
      pendingLabel="Moving…"
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) return;
        setTarget("");
        setChosen(new Set());
      }}
      onSubmit={moveAll}
    >
      <label>
        To host
        <select value={target} onChange={(e) => setTarget(e.target.value)} required>
          <option value="">Choose a host</option>
          {others.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>VMs on &apos;{host.name}&apos;</legend>
        {vms.data?.items.length === 0 && <p className="muted">This host has no VMs.</p>}
        {vms.data?.items.map((vm) => (
          <label key={vm.id}>
            <input type="checkbox" checked={chosen.has(vm.id)} onChange={() => toggle(vm.id)} /> {vm.name} <small>({vm.state})</small>
          </label>
        ))}
      </fieldset>
    </FormDialog>
  );
}
