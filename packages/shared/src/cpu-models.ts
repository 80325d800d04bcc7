// The CPU models Guesthouse offers: a short, named list (not QEMU's 130), so a host can probe
// every one at start and several hosts can agree on one (docs/decisions/0012-accelerator-probe-and-cpu-models.md).
import { z } from "zod";

export const CPU_MODEL_IDS = ["host", "x86-64-v2", "qemu64", "x86-64-v1", "legacy-x86-64", "pentium3", "pentium2", "pentium"] as const;
export const CpuModelIdSchema = z.enum(CPU_MODEL_IDS, { error: `CPU model: choose one of ${CPU_MODEL_IDS.join(", ")}` });
export type CpuModelId = z.infer<typeof CpuModelIdSchema>;

export interface CpuModel {
  label: string;
  /** What `-cpu` gets (before `,enforce`). */
  qemu: string;
  /** host: passthrough; baseline: migratable, for modern guests; legacy: for NT 4-era guests. */
  kind: "host" | "baseline" | "legacy";
  /** 32-bit models cannot run a 64-bit guest. */
  bits: 32 | 64;
  note: string;
}

export const CPU_MODELS: Record<CpuModelId, CpuModel> = {
  host: {
    label: "Host passthrough",
    qemu: "host",
    kind: "host",
    bits: 64,
    note: "fastest; every feature of this host's CPU; not migratable",
  },
  "x86-64-v2": { label: "x86-64-v2 (Nehalem)", qemu: "Nehalem", kind: "baseline", bits: 64, note: "SSE4.2 and POPCNT; migratable" },
  qemu64: { label: "QEMU 64-bit", qemu: "qemu64", kind: "baseline", bits: 64, note: "QEMU's default model; migratable" },
  "x86-64-v1": {
    label: "x86-64 (SSE2 only)",
    qemu: "qemu64,-pni",
    kind: "baseline",
    bits: 64,
    note: "the lowest common x86-64; migratable",
  },
  "legacy-x86-64": {
    label: "Legacy x86-64, CPUID level 2",
    qemu: "qemu64,-pni,level=2",
    kind: "legacy",
    bits: 64,
    note: "reports few CPUID leaves, as NT 4-era setup programs need; runs 32- and 64-bit guests",
  },
  pentium3: { label: "Pentium III", qemu: "pentium3", kind: "legacy", bits: 32, note: "32-bit guests only" },
  pentium2: { label: "Pentium II", qemu: "pentium2", kind: "legacy", bits: 32, note: "32-bit guests only" },
  pentium: { label: "Pentium", qemu: "pentium", kind: "legacy", bits: 32, note: "32-bit guests only" },
};

/** The migratable baseline is the first of these that the host runs without dropping a feature. */
export const BASELINE_ORDER: readonly CpuModelId[] = ["x86-64-v2", "qemu64", "x86-64-v1"];
/** The legacy profile's default: old installers need the small CPUID level more than a 32-bit CPU. */
export const LEGACY_DEFAULT: CpuModelId = "legacy-x86-64";

/** What a host found when it started each model (part of its capacity). */
export const CpuSupportSchema = z.object({
  id: CpuModelIdSchema,
  usable: z.boolean(),
  /** The `-cpu` value that works here (e.g. `host,-arch-capabilities` when plain `host` aborts). */
  qemu: z.string(),
  /** Why it cannot be used, or what was adjusted to make it run. */
  detail: z.string(),
});
export type CpuSupport = z.infer<typeof CpuSupportSchema>;

export const AccelInfoSchema = z.object({
  accel: z.enum(["kvm", "tcg"]),
  /** In words, for the dashboard: "KVM", or "TCG: KVM present but QEMU aborts with …". */
  summary: z.string(),
  models: z.array(CpuSupportSchema),
  /** First usable model of BASELINE_ORDER, the modern profile's default. */
  baseline: CpuModelIdSchema.nullable(),
  probeMs: z.number(),
});
export type AccelInfo = z.infer<typeof AccelInfoSchema>;

/** The model a VM of `profile` gets when it names none. */
export function defaultCpuModel(profile: "modern" | "legacy", info: Pick<AccelInfo, "baseline">): CpuModelId {
  return profile === "legacy" ? LEGACY_DEFAULT : (info.baseline ?? "x86-64-v1");
}

/** Why `id` cannot run a VM of `profile` on a host with `info`, or undefined when it can. */
export function cpuModelRefusal(id: CpuModelId, profile: "modern" | "legacy", info: AccelInfo): string | undefined {
  const model = CPU_MODELS[id];
  if (model.bits === 32 && profile !== "legacy") {
    return `CPU model '${id}' is a 32-bit CPU; it needs the legacy hardware profile and a 32-bit guest`;
  }
  const support = info.models.find((m) => m.id === id);
  if (support?.usable) return undefined;
  const usable = info.models.filter((m) => m.usable && (CPU_MODELS[m.id].bits === 64 || profile === "legacy")).map((m) => m.id);
  const engine = info.accel === "kvm" ? "KVM" : "TCG";
  const why = support?.detail ? ` (${support.detail})` : "";
  return `${engine} cannot run CPU model '${id}' on this machine${why}; choose ${usable.length ? usable.join(", ") : "another host"}`;
}
