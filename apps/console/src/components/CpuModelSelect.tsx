"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";

/** The CPU models this host runs (from its accelerator probe), with the reason for those it cannot. */
export function CpuModelSelect(props: {
  id: string;
  value: string;
  profile: "modern" | "legacy";
  onChange: (value: string) => void;
  allowAuto?: boolean;
  /** The host the VM is (or will be) on; absent: the local host. */
  hostId?: string;
}) {
  const trpc = useTRPC();
  const cpu = useQuery(trpc.host.cpuModels.queryOptions(props.hostId ? { hostId: props.hostId } : undefined));
  const models = cpu.data?.models ?? [];
  const chosen = models.find((m) => m.id === props.value);
  const autoLabel = props.profile === "legacy" ? "legacy-x86-64" : (cpu.data?.baseline ?? "…");
  return (
    <>
      <label htmlFor={props.id}>CPU model</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.allowAuto && <option value="auto">Default for this profile ({autoLabel})</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id} disabled={!m.usable || (m.bits === 32 && props.profile !== "legacy")}>
            {m.label} ({m.id}){m.usable ? "" : " — cannot run here"}
          </option>
        ))}
      </select>
      <span className="muted">
        {chosen ? `${chosen.note}${chosen.detail ? `; ${chosen.detail}` : ""}` : `Accelerator: ${cpu.data?.summary ?? "…"}`}
      </span>
    </>
  );
}
