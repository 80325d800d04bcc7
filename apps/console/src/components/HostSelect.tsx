"use client";
// "Host: auto (→ name)" in the New VM wizard: where placement would put a VM with these needs now
// (ADR 0035), or why nowhere; the user may name a host instead.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";

export function HostSelect(props: {
  value: string;
  onChange: (hostId: string) => void;
  needs: { memoryMiB: number; cpus: number; cpuModel: string };
}) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.host.overview.queryOptions());
  const valid =
    Number.isInteger(props.needs.memoryMiB) && props.needs.memoryMiB >= 16 && Number.isInteger(props.needs.cpus) && props.needs.cpus >= 1;
  const placement = useQuery({
    ...trpc.host.placement.queryOptions({
      memoryMiB: props.needs.memoryMiB,
      cpus: props.needs.cpus,
      cpuModel: props.needs.cpuModel as "auto",
      ...(props.value ? { hostId: props.value } : {}),
    }),
    enabled: valid,
  });
  const p = placement.data;
  const auto = p?.ok && !props.value ? `auto (→ ${p.hostName})` : "auto";
  return (
    <>
      <label htmlFor="vm-host">Host</label>
      <select id="vm-host" value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{auto}</option>
        {overview.data?.hosts.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
      <span className="muted" data-testid="placement">
        {p && !p.ok ? p.reason : p?.ok ? `The VM will go to '${p.hostName}'.` : ""}
      </span>
    </>
  );
}
