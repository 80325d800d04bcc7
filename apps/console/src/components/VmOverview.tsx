"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@guesthouse/api";
import { formatBytes, formatTime } from "./format";

type Vm = RouterOutputs["vm"]["get"];

export function VmOverview({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const running = vm.state === "running" || vm.state === "paused";
  // Live figures are sampled from the host while the VM runs (RSS and CPU time change continuously).
  const live = useQuery({ ...trpc.vm.live.queryOptions({ vmId: vm.id }), enabled: running, refetchInterval: running ? 2000 : false });
  return (
    <dl className="facts">
      <dt>State</dt>
      <dd>
        {vm.state}
        {vm.stateReason ? ` (${vm.stateReason})` : ""}
      </dd>
      <dt>Host</dt>
      <dd>{vm.host.name}</dd>
      <dt>OS / template</dt>
      <dd>
        {vm.osLabel || "—"}
        {vm.template ? ` (from ${vm.template.name})` : ""}
      </dd>
      <dt>Hardware</dt>
      <dd>
        {vm.profile} · {vm.cpus} CPU · {vm.memoryMiB} MiB RAM
      </dd>
      <dt>Disks</dt>
      <dd>{vm.disks.length ? vm.disks.map((d) => `#${d.slot} ${formatBytes(d.sizeBytes)} ${d.format}`).join(", ") : "none"}</dd>
      <dt>CD-ROM</dt>
      <dd>{vm.media?.name ?? "empty"}</dd>
      <dt>Created</dt>
      <dd>{formatTime(vm.createdAt)}</dd>
      {running && live.data && (
        <>
          <dt>QEMU process</dt>
          <dd>pid {live.data.pid ?? "—"}</dd>
          <dt>Memory in use</dt>
          <dd>{live.data.rssBytes ? formatBytes(live.data.rssBytes) : "—"}</dd>
          <dt>CPU time</dt>
          <dd>{live.data.cpuSeconds !== undefined && live.data.cpuSeconds !== null ? `${live.data.cpuSeconds.toFixed(1)} s` : "—"}</dd>
        </>
      )}
    </dl>
  );
}
