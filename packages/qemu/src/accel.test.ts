import assert from "node:assert/strict";
import { test } from "node:test";
import { CPU_MODEL_IDS } from "@guesthouse/shared/cpu-models";
import { AccelError, decideAccel, probeCandidates, probeFailure, type ProbeResult } from "./accel.ts";

const OK: ProbeResult = { ok: true };
const ABORT: ProbeResult = { ok: false, message: "QEMU aborts: failed to set MSR 0x10a to 0x69" };
const LACKS: ProbeResult = { ok: false, message: "the accelerator lacks features this model needs: pni" };

/** Every candidate `-cpu` value of every model answered with `answer(cpu)`. */
function answers(accel: "kvm" | "tcg", answer: (cpu: string) => ProbeResult): Map<string, ProbeResult> {
  const cpus = CPU_MODEL_IDS.flatMap((id) => probeCandidates(id, accel));
  return new Map(cpus.map((c) => [c, answer(c)]));
}
const allTcg = answers("tcg", () => OK);
const usable = (info: ReturnType<typeof decideAccel>) => info.models.filter((m) => m.usable).map((m) => m.id);

test("works: every model starts under KVM, so KVM is used with plain host and the first baseline", () => {
  const info = decideAccel({ mode: "auto", kvmDevice: "ok", kvm: answers("kvm", () => OK), tcg: new Map(), probeMs: 1 });
  assert.equal(info.accel, "kvm");
  assert.equal(info.summary, "KVM");
  assert.equal(info.baseline, "x86-64-v2");
  assert.equal(info.models.find((m) => m.id === "host")?.qemu, "host");
  assert.deepEqual(usable(info), [...CPU_MODEL_IDS]);
});

test("a nested host: plain host aborts, the adjusted host and the SSE2 baseline run; the adjustment is shown", () => {
  const kvm = answers("kvm", (cpu) =>
    cpu === "host" ? ABORT : cpu === "host,-arch-capabilities" || cpu.startsWith("qemu64,-pni") || cpu.startsWith("pentium") ? OK : LACKS,
  );
  const info = decideAccel({ mode: "auto", kvmDevice: "ok", kvm, tcg: new Map(), probeMs: 1 });
  assert.equal(info.accel, "kvm");
  assert.equal(info.baseline, "x86-64-v1");
  const host = info.models.find((m) => m.id === "host");
  assert.equal(host?.qemu, "host,-arch-capabilities");
  assert.match(host?.detail ?? "", /arch-capabilities dropped: plain 'host' fails here \(QEMU aborts: failed to set MSR/);
  assert.match(info.summary, /^KVM \(host passthrough runs with arch-capabilities dropped/);
  assert.deepEqual(
    info.models.filter((m) => !m.usable).map((m) => [m.id, m.detail]),
    [
      ["x86-64-v2", LACKS.message],
      ["qemu64", LACKS.message],
    ],
  );
});

test("aborts: KVM present but no model starts, so TCG is used and the summary says why", () => {
  const info = decideAccel({ mode: "auto", kvmDevice: "ok", kvm: answers("kvm", () => ABORT), tcg: allTcg, probeMs: 1 });
  assert.equal(info.accel, "tcg");
  assert.equal(info.summary, "TCG: KVM present but QEMU aborts with: failed to set MSR 0x10a to 0x69");
  assert.equal(info.models.find((m) => m.id === "host")?.qemu, "max");
  assert.equal(info.baseline, "x86-64-v2");
});

test("missing: no /dev/kvm means TCG, and GUESTHOUSE_ACCEL=kvm is a clear error", () => {
  const info = decideAccel({ mode: "auto", kvmDevice: "missing", kvm: new Map(), tcg: allTcg, probeMs: 1 });
  assert.equal(info.accel, "tcg");
  assert.equal(info.summary, "TCG: this machine has no /dev/kvm");
  assert.throws(
    () => decideAccel({ mode: "kvm", kvmDevice: "missing", kvm: new Map(), tcg: allTcg, probeMs: 1 }),
    (e: unknown) =>
      e instanceof AccelError && /^GUESTHOUSE_ACCEL=kvm but this machine has no \/dev\/kvm; unset it to use TCG$/.test(e.message),
  );
  assert.throws(
    () => decideAccel({ mode: "kvm", kvmDevice: "ok", kvm: answers("kvm", () => ABORT), tcg: allTcg, probeMs: 1 }),
    /GUESTHOUSE_ACCEL=kvm but KVM cannot run any CPU model here: QEMU aborts: failed to set MSR/,
  );
});

test("GUESTHOUSE_ACCEL=tcg uses TCG even where KVM works", () => {
  const info = decideAccel({ mode: "tcg", kvmDevice: "ok", kvm: answers("kvm", () => OK), tcg: allTcg, probeMs: 1 });
  assert.equal(info.accel, "tcg");
  assert.equal(info.summary, "TCG (GUESTHOUSE_ACCEL=tcg)");
});

test("a failed probe's output becomes one short reason", () => {
  const features =
    "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]\n" +
    "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.sse4.1 [bit 19]\n" +
    "qemu-system-x86_64: Host doesn't support requested features\n";
  assert.equal(probeFailure(features, "code 1"), "the accelerator lacks features this model needs: pni, sse4.1");
  assert.equal(
    probeFailure("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu: x.c:1: a\n", "SIGABRT"),
    "QEMU aborts: failed to set MSR 0x10a to 0x69",
  );
  assert.equal(probeFailure("", "code 1"), "QEMU exited (code 1)");
});

test("slow: KVM starts every model but runs the firmware far slower than TCG, so TCG is used and says why", () => {
  const kvm = answers("kvm", () => OK);
  const slow = { kvmMs: undefined, tcgMs: 180 };
  const info = decideAccel({ mode: "auto", kvmDevice: "ok", kvm, tcg: allTcg, speed: slow, probeMs: 1 });
  assert.equal(info.accel, "tcg");
  assert.equal(
    info.summary,
    "TCG: KVM present but it runs guest code far slower than TCG here (firmware start: over 1000 ms under KVM, 180 ms under TCG)",
  );
  const forced = decideAccel({ mode: "kvm", kvmDevice: "ok", kvm, tcg: new Map(), speed: { kvmMs: 3978, tcgMs: 110 }, probeMs: 1 });
  assert.equal(forced.accel, "kvm");
  assert.match(
    forced.summary,
    /^KVM \(forced by GUESTHOUSE_ACCEL=kvm although it runs guest code far slower than TCG here \(firmware start: 3978 ms/,
  );
  const healthy = decideAccel({ mode: "auto", kvmDevice: "ok", kvm, tcg: new Map(), speed: { kvmMs: 120, tcgMs: 150 }, probeMs: 1 });
  assert.equal(healthy.accel, "kvm");
  assert.equal(healthy.summary, "KVM");
  // Timing noise on a busy machine never decides: under a second is always fast enough.
  assert.equal(
    decideAccel({ mode: "auto", kvmDevice: "ok", kvm, tcg: new Map(), speed: { kvmMs: 900, tcgMs: 100 }, probeMs: 1 }).accel,
    "kvm",
  );
});
