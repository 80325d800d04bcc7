/** CPU models on real guests: the probed accelerator boots the guest, the legacy model boots it too, refusals are words. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { AccelError, kvmDeviceState, probeAccelerator } from "@guesthouse/qemu/accel";
import { pino } from "pino";
import { createHostCaller } from "./router.ts";
import { HostService } from "./service.ts";
import {
  destroyHost,
  openHost,
  PROMPT,
  serialRun,
  tempDataDir,
  testAccel,
  testConfig,
  testImages,
  tinySpec,
  waitSerial,
  type TestHost,
} from "./harness.test-support.ts";

let host: TestHost;
before(async () => {
  host = await openHost(await tempDataDir());
});
after(() => destroyHost(host));

const cmdline = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");

test("a VM boots to its shell prompt with the probed accelerator and the profile's default CPU model", async () => {
  const images = await testImages();
  const accel = await testAccel();
  await host.api.vm.define({ id: "cpu-modern", spec: tinySpec(images, "cpu-modern") });
  const view = await host.api.vm.start({ id: "cpu-modern" });
  const argv = await cmdline(view.pid!);
  const expected = accel.models.find((m) => m.id === accel.baseline)!.qemu;
  assert.equal(argv[argv.indexOf("-cpu") + 1], expected, "the baseline model, as the probe found it runs");
  assert.match(argv[argv.indexOf("-accel") + 1]!, new RegExp(`^${accel.accel}`));
  await waitSerial(host.service, "cpu-modern", PROMPT);
  await serialRun(host.service, "cpu-modern", "echo cpu-ok-$((40+2))", /\ncpu-ok-42\r?\n/);
  await host.api.vm.powerOff({ id: "cpu-modern" });
});

test("the legacy profile's model (CPUID level 2, for NT 4-era setup) boots the tiny Linux guest", async () => {
  const images = await testImages();
  await host.api.vm.define({ id: "cpu-legacy", spec: tinySpec(images, "cpu-legacy", { profile: "legacy", cpuModel: "legacy-x86-64" }) });
  const view = await host.api.vm.start({ id: "cpu-legacy" });
  const argv = await cmdline(view.pid!);
  assert.equal(argv[argv.indexOf("-cpu") + 1], "qemu64,-pni,level=2,enforce");
  assert.equal(argv[argv.indexOf("-machine") + 1], "pc");
  await waitSerial(host.service, "cpu-legacy", PROMPT);
  // The guest itself sees the small CPUID level the old installers need.
  await serialRun(host.service, "cpu-legacy", "grep -m1 'cpuid level' /proc/cpuinfo", /cpuid level\s*:\s*2\r?\n/);
  await host.api.vm.powerOff({ id: "cpu-legacy" });
});

test("models a VM cannot have are refused in words, and no QEMU is started", async () => {
  const images = await testImages();
  await assert.rejects(
    host.api.vm.define({ id: "cpu-32", spec: tinySpec(images, "cpu-32", { cpuModel: "pentium3" }) }),
    /CPU model 'pentium3' is a 32-bit CPU; it needs the legacy hardware profile and a 32-bit guest/,
  );
  await assert.rejects(
    host.api.vm.define({ id: "cpu-x", spec: { ...tinySpec(images, "cpu-x"), cpuModel: "486" as never } }),
    (e: Error & { code?: string }) =>
      e.code === "BAD_REQUEST" && /CPU model: choose one of host, x86-64-v2, .*\n.*at spec\.cpuModel/.test(e.message),
  );
  assert.equal(host.service.vms.records.has("cpu-32"), false);
});

test("a model this host's accelerator cannot run is refused at start with the probe's reason, never a QEMU abort", async () => {
  const images = await testImages();
  // Forcing KVM is how an operator overrides the probe. Where KVM rejects some models (nested
  // hosts), a VM defined with one while the host ran TCG (which runs every model) is refused at
  // start once the host runs under KVM.
  // Without /dev/kvm the override itself is refused, in words.
  if (kvmDeviceState() !== "ok") {
    await assert.rejects(
      probeAccelerator({ binary: (await testConfig(host.dataDir)).qemuBinary, mode: "kvm" }),
      (e) =>
        e instanceof AccelError &&
        /^GUESTHOUSE_ACCEL=kvm but (this machine has no \/dev\/kvm|\/dev\/kvm exists but this user may not open it)/.test(e.message),
    );
    return;
  }
  const config = await testConfig(await tempDataDir());
  const forced = await probeAccelerator({ binary: config.qemuBinary, mode: "kvm" });
  const refused = forced.models.find((m) => !m.usable && m.id !== "host");
  assert.ok(refused, `KVM here runs every offered model: ${JSON.stringify(forced.models.map((m) => [m.id, m.usable]))}`);
  const underTcg = await probeAccelerator({ binary: config.qemuBinary, mode: "tcg" });
  const first = await HostService.open({ ...config, accel: underTcg }, pino({ level: "silent" }));
  await createHostCaller({ service: first, authenticated: true }).vm.define({
    id: "cpu-kvm",
    spec: tinySpec(images, "cpu-kvm", { cpuModel: refused.id }),
  });
  await first.close();
  const service = await HostService.open({ ...config, accel: forced }, pino({ level: "silent" }));
  try {
    const api = createHostCaller({ service, authenticated: true });
    await assert.rejects(
      api.vm.start({ id: "cpu-kvm" }),
      (e: Error & { code?: string }) =>
        e.code === "BAD_REQUEST" &&
        e.message.includes(`KVM cannot run CPU model '${refused.id}' on this machine (${refused.detail}); choose `),
    );
    const view = await api.vm.get({ id: "cpu-kvm" });
    assert.deepEqual([view.state, view.pid], ["stopped", null], "no QEMU was started");
  } finally {
    await service.close();
  }
});
