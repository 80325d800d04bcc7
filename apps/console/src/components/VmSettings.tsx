"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { VmSettingsInput } from "@guesthouse/shared/console-api";
import type { RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";
import { CpuModelSelect } from "./CpuModelSelect";
import { MakeTemplate } from "./MakeTemplate";
import { UndoSettings } from "./VmUndo";
import { VmDelete } from "./VmDelete";
import { VmMove } from "./VmMove";
import { VmStartAtBoot } from "./VmStartAtBoot";

type Vm = RouterOutputs["vm"]["get"];

export function VmSettings({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const media = useQuery(trpc.catalog.media.queryOptions());
  const [form, setForm] = useState({
    description: vm.description,
    profile: vm.profile,
    cpuModel: vm.cpuModel ?? "auto",
    cpus: String(vm.cpus),
    memoryMiB: String(vm.memoryMiB),
    bootOrder: vm.bootOrder,
    mediaId: vm.media?.id ?? "",
    clipboard: vm.clipboard,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const update = useMutation(
    trpc.vm.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() }) }),
  );
  const set = (k: Exclude<keyof typeof form, "clipboard">) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const stopped = vm.state === "stopped";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = VmSettingsInput.safeParse({ ...form, mediaId: form.mediaId || null });
    if (!parsed.success) return setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
    setErrors({});
    update.mutate({ vmId: vm.id, ...parsed.data });
  };
  const err = (k: string) => (errors[k] ? <span className="field-error">{errors[k]}</span> : null);
  return (
    <>
      <form onSubmit={submit} className="stack form" aria-label="Settings" noValidate>
        {!stopped && (
          <p role="status" className="muted">
            Settings can be changed while the VM is stopped.
          </p>
        )}
        <fieldset disabled={!stopped}>
          <label>
            Description
            <input value={form.description} onChange={set("description")} />
          </label>
          <label htmlFor="set-profile">Hardware profile</label>
          <select id="set-profile" value={form.profile} onChange={set("profile")}>
            <option value="modern">Modern (q35, virtio)</option>
            <option value="legacy">Legacy (i440fx, IDE, cirrus, rtl8139)</option>
          </select>
          <CpuModelSelect
            id="set-cpu"
            allowAuto={vm.cpuModel === null}
            value={form.cpuModel}
            profile={form.profile}
            onChange={(cpuModel) => setForm((f) => ({ ...f, cpuModel }))}
          />
          {err("cpuModel")}
          <div className="row">
            <label>
              CPUs
              <input type="number" min={1} max={64} value={form.cpus} onChange={set("cpus")} />
              {err("cpus")}
            </label>
            <label>
              RAM (MiB)
              <input type="number" min={16} value={form.memoryMiB} onChange={set("memoryMiB")} />
              {err("memoryMiB")}
            </label>
          </div>
          <label htmlFor="set-boot">Boot from</label>
          <select id="set-boot" value={form.bootOrder} onChange={set("bootOrder")}>
            <option value="disk">Disk first</option>
            <option value="cdrom">CD-ROM first</option>
          </select>
          <label htmlFor="set-media">CD-ROM</label>
          <select id="set-media" value={form.mediaId} onChange={set("mediaId")}>
            <option value="">Empty</option>
            {media.data
              ?.filter((m) => m.kind === "iso")
              .map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
          </select>
          <label>
            <input type="checkbox" checked={form.clipboard} onChange={(e) => setForm((f) => ({ ...f, clipboard: e.target.checked }))} />{" "}
            Clipboard (needs an agent in the guest)
          </label>
          {update.error && (
            <p role="alert" className="error">
              {update.error.message}
            </p>
          )}
          {update.isSuccess && <p role="status">Saved.</p>}
          <button type="submit" className="primary" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save settings"}
          </button>
        </fieldset>
      </form>
      <UndoSettings vmId={vm.id} stopped={stopped} />
      {vm.permissions.includes("vm.config") && <VmStartAtBoot vm={vm} />}
      {vm.permissions.includes("vm.migrate") && <VmMove vm={vm} />}
      {vm.permissions.includes("vm.delete") && (
        <section aria-labelledby="tpl-h">
          <h2 id="tpl-h">Template</h2>
          <MakeTemplate vmId={vm.id} state={vm.state} />
        </section>
      )}
      {vm.permissions.includes("vm.delete") && <VmDelete vm={vm} />}
    </>
  );
}
