"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { VmCreateInput } from "@guesthouse/shared/console-api";
import { useTRPC } from "@/trpc/react";
import { CpuModelSelect } from "./CpuModelSelect";
import { HostSelect } from "./HostSelect";

type Kind = "template" | "iso" | "image" | "blank";

const KIND_LABELS: Record<Kind, string> = {
  template: "A template",
  iso: "An ISO from the library",
  image: "A disk image from the library (copied into its disk)",
  blank: "An empty disk",
};

export function CreateVmForm({ templateId = "" }: { templateId?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const templates = useQuery(trpc.catalog.templates.queryOptions());
  const media = useQuery(trpc.catalog.media.queryOptions());
  // The networks this user may use (network.use globally or on each one, ADR 0051).
  const networks = useQuery({ ...trpc.network.list.queryOptions(), retry: false });
  const defaultNetwork = networks.data?.find((n) => n.isDefault);
  const [form, setForm] = useState({
    name: "",
    kind: "template" as Kind,
    templateId,
    mediaId: "",
    profile: "modern",
    cpuModel: "auto",
    cpus: "1",
    memoryMiB: "128",
    diskGiB: "0",
    /** "default": the server picks (one NIC on the default network); "none": no NIC; else a network id. */
    network: "default",
    hostId: "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(
    trpc.vm.create.mutationOptions({
      onSuccess: ({ id }) => router.push(`/vms/${id}`),
    }),
  );
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const source =
      form.kind === "template"
        ? { kind: "template", templateId: form.templateId }
        : form.kind === "iso" || form.kind === "image"
          ? { kind: form.kind, mediaId: form.mediaId }
          : { kind: "blank" };
    const parsed = VmCreateInput.safeParse({
      name: form.name,
      source,
      profile: form.profile,
      cpuModel: form.cpuModel,
      cpus: form.cpus,
      memoryMiB: form.memoryMiB,
      diskGiB: form.diskGiB,
      ...(form.network === "default" ? {} : { nics: form.network === "none" ? [] : [{ networkId: form.network }] }),
      ...(form.hostId ? { hostId: form.hostId } : {}),
    });
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] === "source" ? "source" : i.path[0]), i.message])));
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };
  const field = (name: string) =>
    errors[name] ? (
      <span className="field-error" id={`${name}-error`}>
        {errors[name]}
      </span>
    ) : null;
  return (
    <>
      <h1>New virtual machine</h1>
      {templates.data?.length === 0 && media.data?.length === 0 && (
        <p role="status" className="muted">
          No templates or ISOs yet. Upload an installer ISO in the <a href="/media">ISO library</a>, then start a VM from it.
        </p>
      )}
      <form onSubmit={submit} className="stack form" noValidate aria-label="New virtual machine">
        <label>
          Name
          <input value={form.name} onChange={set("name")} aria-invalid={!!errors.name} aria-describedby="name-error" />
          {field("name")}
        </label>
        <fieldset>
          <legend>Start from</legend>
          {(["template", "iso", "image", "blank"] as const).map((k) => (
            <label key={k} className="inline">
              <input
                type="radio"
                name="kind"
                value={k}
                checked={form.kind === k}
                onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as Kind, mediaId: "" }))}
              />{" "}
              {KIND_LABELS[k]}
            </label>
          ))}
          {form.kind === "template" && (
            <>
              <label htmlFor="vm-template">Template</label>
              <select id="vm-template" value={form.templateId} onChange={set("templateId")}>
                <option value="">Choose…</option>
                {templates.data?.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} — {t.description}
                  </option>
                ))}
              </select>
            </>
          )}
          {(form.kind === "iso" || form.kind === "image") && (
            <>
              <label htmlFor="vm-media">{form.kind === "iso" ? "ISO" : "Disk image"}</label>
              <select id="vm-media" value={form.mediaId} onChange={set("mediaId")}>
                <option value="">Choose…</option>
                {media.data
                  ?.filter((m) => m.kind === (form.kind === "iso" ? "iso" : "disk"))
                  .map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
              </select>
            </>
          )}
          {field("source")}
        </fieldset>
        <label>
          Hardware profile
          <select value={form.profile} onChange={set("profile")}>
            <option value="modern">Modern (q35, virtio)</option>
            <option value="legacy">Legacy (i440fx, IDE, cirrus, rtl8139 — for NT 4-era systems)</option>
          </select>
        </label>
        <CpuModelSelect
          id="vm-cpu"
          allowAuto
          value={form.cpuModel}
          profile={form.profile === "legacy" ? "legacy" : "modern"}
          hostId={form.hostId || undefined}
          onChange={(cpuModel) => setForm((f) => ({ ...f, cpuModel }))}
        />
        {field("cpuModel")}
        {networks.data && (
          <label>
            Network
            <select value={form.network} onChange={set("network")} aria-describedby="nics-error">
              <option value="default">
                {defaultNetwork
                  ? `Default: ${defaultNetwork.name} (${defaultNetwork.subnet ?? defaultNetwork.kind})`
                  : "Default: none on this host, so no NIC"}
              </option>
              <option value="none">No network</option>
              {networks.data
                .filter((n) => !n.isDefault)
                .map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.name} ({n.kind}
                    {n.subnet ? ` ${n.subnet}` : ""})
                  </option>
                ))}
            </select>
            {field("nics")}
          </label>
        )}
        <div className="row">
          <label>
            CPUs
            <input type="number" min={1} max={64} value={form.cpus} onChange={set("cpus")} aria-invalid={!!errors.cpus} />
            {field("cpus")}
          </label>
          <label>
            RAM (MiB)
            <input type="number" min={16} value={form.memoryMiB} onChange={set("memoryMiB")} aria-invalid={!!errors.memoryMiB} />
            {field("memoryMiB")}
          </label>
          {form.kind === "image" ? (
            <p className="muted">Disk: the image&apos;s own size</p>
          ) : (
            <label>
              Disk (GiB, 0 for none)
              <input type="number" min={0} step="any" value={form.diskGiB} onChange={set("diskGiB")} aria-invalid={!!errors.diskGiB} />
              {field("diskGiB")}
            </label>
          )}
        </div>
        <HostSelect
          value={form.hostId}
          onChange={(hostId) => setForm((f) => ({ ...f, hostId }))}
          needs={{ memoryMiB: Number(form.memoryMiB), cpus: Number(form.cpus), cpuModel: form.cpuModel }}
        />
        {field("hostId")}
        {create.error && (
          <p role="alert" className="error">
            {create.error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create VM"}
        </button>
      </form>
    </>
  );
}
