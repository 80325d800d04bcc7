/**
 * Which accelerator and which CPU models really work here. An accessible /dev/kvm is no proof:
 * on nested hosts QEMU aborts at reset for some models (MSR writes KVM refuses), and KVM silently
 * drops features a model asks for unless `,enforce` is given. So each offered model is started
 * once, paused (-S), with no devices, and only what answered on QMP counts. Starting is still no
 * proof that guests run: on some nested hosts KVM executes guest code dozens of times slower than
 * TCG, so the firmware's own start (SeaBIOS to "No bootable device") is timed under both, and a
 * KVM much slower than TCG is not used (docs/decisions/0012-accelerator-probe-and-cpu-models.md).
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { BASELINE_ORDER, CPU_MODEL_IDS, CPU_MODELS, type AccelInfo, type CpuModelId, type CpuSupport } from "@guesthouse/shared/cpu-models";
import { cleanQemuOutput } from "./qemu-messages.ts";

export type Accel = "kvm" | "tcg";
export type AccelMode = "auto" | Accel;

/** What a throwaway QEMU did with one accelerator and `-cpu` value. */
export type ProbeResult = { ok: true } | { ok: false; message: string };

export class AccelError extends Error {
  override name = "AccelError";
}

const PROBE_TIMEOUT_MS = 8000;

/** Starts QEMU paused with QMP on stdio; it works if `query-status` answers. Always ends the process. */
export function probeCpu(opts: { binary: string; accel: Accel; cpu: string; timeoutMs?: number }): Promise<ProbeResult> {
  const argv = ["-accel", opts.accel, "-cpu", opts.cpu, "-machine", "q35", "-m", "32", "-nodefaults", "-display", "none"];
  argv.push("-S", "-no-user-config", "-qmp", "stdio");
  return new Promise((resolve) => {
    const child = spawn(opts.binary, argv, { stdio: ["pipe", "pipe", "pipe"], shell: false });
    let out = "";
    let err = "";
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.ok) child.stdin.end('{"execute":"quit"}\n');
      else child.kill("SIGKILL");
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, message: `QEMU did not answer within ${opts.timeoutMs ?? PROBE_TIMEOUT_MS} ms` }),
      opts.timeoutMs ?? PROBE_TIMEOUT_MS,
    );
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (/"status":\s*"prelaunch"|"status":\s*"paused"/.test(out)) finish({ ok: true });
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.stdin.on("error", () => undefined);
    child.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n');
    child.once("error", (err) => finish({ ok: false, message: err.message }));
    child.once("exit", (code, signal) => finish({ ok: false, message: probeFailure(err, signal ?? `code ${code}`) }));
  });
}

/** One short reason from a failed probe's output: the features refused, or QEMU's first words. */
export function probeFailure(output: string, exit: string): string {
  const missing = [...output.matchAll(/requested feature: \S+?\.([\w.-]+) \[bit/g)].map((m) => m[1]);
  if (missing.length) return `the accelerator lacks features this model needs: ${missing.join(", ")}`;
  const first = cleanQemuOutput(output, 20).split("; ")[0] || `QEMU exited (${exit})`;
  return exit === "SIGABRT" ? `QEMU aborts: ${first}` : first;
}

/** SeaBIOS's last words when nothing is bootable: the firmware has run its whole start. */
const FIRMWARE_DONE = "No bootable device";

/** Time from spawn to the end of the firmware's start, read from SeaBIOS's debug port (0x402). */
export function timeFirmware(opts: { binary: string; accel: Accel; cpu: string; timeoutMs: number }): Promise<number | undefined> {
  const argv = ["-accel", opts.accel, "-cpu", opts.cpu, "-machine", "q35", "-m", "32", "-nodefaults", "-display", "none"];
  argv.push("-no-user-config", "-chardev", "stdio,id=dbg", "-device", "isa-debugcon,iobase=0x402,chardev=dbg", "-no-reboot");
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(opts.binary, argv, { stdio: ["ignore", "pipe", "ignore"], shell: false });
    let out = "";
    const done = (ms: number | undefined) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(ms);
    };
    const timer = setTimeout(() => done(undefined), opts.timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes(FIRMWARE_DONE)) done(performance.now() - started);
    });
    child.once("error", () => done(undefined));
    child.once("exit", () => done(undefined));
  });
}

/** KVM is too slow when its firmware start takes over 3× TCG's and over a second (so timing noise never decides). */
export function kvmSpeedLimitMs(tcgMs: number): number {
  return Math.max(3 * tcgMs, 1000);
}

export function kvmTooSlow(speed: { kvmMs: number | undefined; tcgMs: number }): boolean {
  return speed.kvmMs === undefined || speed.kvmMs > kvmSpeedLimitMs(speed.tcgMs);
}

export type KvmDevice = "ok" | "missing" | "denied";

export function kvmDeviceState(path = "/dev/kvm"): KvmDevice {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return "ok";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "denied";
  }
}

/** The `-cpu` values tried for a model: `host` has a fallback that drops what nested KVM refuses. */
export function probeCandidates(id: CpuModelId, accel: Accel): string[] {
  const model = CPU_MODELS[id];
  if (id === "host") return accel === "kvm" ? ["host", "host,-arch-capabilities"] : ["max"];
  return [`${model.qemu},enforce`];
}

/** Folds the probes of one accelerator into what each model can do. */
export function supportFrom(accel: Accel, results: Map<string, ProbeResult>): CpuSupport[] {
  return CPU_MODEL_IDS.map((id) => {
    const candidates = probeCandidates(id, accel);
    const working = candidates.find((c) => results.get(c)?.ok);
    const first = results.get(candidates[0] as string);
    const failure = first && !first.ok ? first.message : "not probed";
    if (!working) return { id, usable: false, qemu: candidates[0] as string, detail: failure };
    let detail = "";
    if (id === "host" && accel === "tcg") detail = "TCG has no passthrough: 'max' gives every feature TCG emulates";
    else if (working !== candidates[0]) detail = `runs with arch-capabilities dropped: plain 'host' fails here (${failure})`;
    return { id, usable: true, qemu: working, detail };
  });
}

export interface DecideInput {
  mode: AccelMode;
  kvmDevice: KvmDevice;
  /** Probe results under KVM, by `-cpu` value (empty when KVM was not tried). */
  kvm: Map<string, ProbeResult>;
  tcg: Map<string, ProbeResult>;
  /** Firmware start under each accelerator (kvmMs undefined: it did not finish in time). */
  speed?: { kvmMs: number | undefined; tcgMs: number };
  probeMs: number;
}

/** The decision, from QEMU's answers alone (unit-tested); throws AccelError when `mode: kvm` cannot be honoured. */
export function decideAccel(input: DecideInput): AccelInfo {
  const info = (accel: Accel, summary: string): AccelInfo => {
    const models = supportFrom(accel, accel === "kvm" ? input.kvm : input.tcg);
    const baseline = BASELINE_ORDER.find((id) => models.find((m) => m.id === id)?.usable) ?? null;
    return { accel, summary, models, baseline, probeMs: input.probeMs };
  };
  if (input.mode === "tcg") return info("tcg", "TCG (GUESTHOUSE_ACCEL=tcg)");
  if (input.kvmDevice !== "ok") {
    const why = input.kvmDevice === "missing" ? "this machine has no /dev/kvm" : "/dev/kvm exists but this user may not open it";
    if (input.mode === "kvm") throw new AccelError(`GUESTHOUSE_ACCEL=kvm but ${why}; unset it to use TCG`);
    return info("tcg", `TCG: ${why}`);
  }
  const kvm = info("kvm", "KVM");
  if (kvm.models.some((m) => m.usable)) {
    const slow = input.speed && kvmTooSlow(input.speed) ? slowness(input.speed) : undefined;
    if (slow && input.mode === "auto") return info("tcg", `TCG: KVM present but ${slow}`);
    const adjusted = kvm.models.find((m) => m.id === "host" && m.usable && m.detail);
    const notes = [adjusted ? `host passthrough ${adjusted.detail}` : "", slow ? `forced by GUESTHOUSE_ACCEL=kvm although ${slow}` : ""];
    const note = notes.filter(Boolean).join("; ");
    return note ? { ...kvm, summary: `KVM (${note})` } : kvm;
  }
  const reason = kvm.models.find((m) => m.id === "host")?.detail ?? "no CPU model starts";
  if (input.mode === "kvm") throw new AccelError(`GUESTHOUSE_ACCEL=kvm but KVM cannot run any CPU model here: ${reason}`);
  return info(
    "tcg",
    `TCG: KVM present but ${/^QEMU aborts/.test(reason) ? reason.replace(/^QEMU aborts/, "QEMU aborts with") : `QEMU fails: ${reason}`}`,
  );
}

function slowness(speed: { kvmMs: number | undefined; tcgMs: number }): string {
  const kvm = speed.kvmMs === undefined ? `over ${Math.round(kvmSpeedLimitMs(speed.tcgMs))} ms` : `${Math.round(speed.kvmMs)} ms`;
  return `it runs guest code far slower than TCG here (firmware start: ${kvm} under KVM, ${Math.round(speed.tcgMs)} ms under TCG)`;
}

/** Probes every offered model (in parallel; ~0.1 s each) and decides. */
export async function probeAccelerator(opts: { binary: string; mode: AccelMode; kvmDevicePath?: string }): Promise<AccelInfo> {
  const started = Date.now();
  const kvmDevice = kvmDeviceState(opts.kvmDevicePath);
  const probeAll = async (accel: Accel) => {
    const cpus = [...new Set(CPU_MODEL_IDS.flatMap((id) => probeCandidates(id, accel)))];
    const results = await Promise.all(cpus.map((cpu) => probeCpu({ binary: opts.binary, accel, cpu })));
    return new Map(cpus.map((cpu, i) => [cpu, results[i] as ProbeResult]));
  };
  const tryKvm = opts.mode !== "tcg" && kvmDevice === "ok";
  const kvm = tryKvm ? await probeAll("kvm") : new Map<string, ProbeResult>();
  const kvmCpu = [...kvm].find(([cpu, r]) => r.ok && cpu !== "host")?.[0] ?? [...kvm].find(([, r]) => r.ok)?.[0];
  let speed: DecideInput["speed"];
  if (kvmCpu) {
    const tcgMs = (await timeFirmware({ binary: opts.binary, accel: "tcg", cpu: "qemu64", timeoutMs: 10_000 })) ?? 10_000;
    const kvmMs = await timeFirmware({ binary: opts.binary, accel: "kvm", cpu: kvmCpu, timeoutMs: kvmSpeedLimitMs(tcgMs) + 50 });
    speed = { kvmMs, tcgMs };
  }
  const kvmRuns = kvmCpu !== undefined && (opts.mode === "kvm" || !kvmTooSlow(speed!));
  const tcg = kvmRuns ? new Map<string, ProbeResult>() : await probeAll("tcg");
  return decideAccel({ mode: opts.mode, kvmDevice, kvm, tcg, speed, probeMs: Date.now() - started });
}

/** The `-cpu` value for a model on this host, from the probe (undefined: the host cannot run it). */
export function cpuArgFor(id: CpuModelId, info: AccelInfo): string | undefined {
  const support = info.models.find((m) => m.id === id);
  return support?.usable ? support.qemu : undefined;
}
