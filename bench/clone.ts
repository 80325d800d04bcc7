/**
 * Instant clone vs cold boot, and the disk cost of full vs linked clones.
 *
 *   node --import tsx bench/clone.ts          (~2 min, stops itself; BENCH_ROUNDS=N to change 3)
 *
 * One tiny-Linux guest (-m 128, 32 MiB disk with 16 MiB written) becomes a RAM template. Per round:
 *   instant: t0 = template.clone(mode instant) → call returns (running) → RFB 3.8 handshake on the
 *            clone's vnc.sock + FramebufferUpdateRequest → first FramebufferUpdate; then the shell
 *            answers `echo` on serial ("usable").
 *   cold:    t0 = vm.start of the same spec on its own disk → first FramebufferUpdate → shell prompt on serial.
 * Medians; ratios instant ÷ cold. Goal (docs/design.md): template → running clone at its console ≤ 1.5 s under TCG.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages } from "@guesthouse/images";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { pino } from "pino";
import { createHostCaller } from "../apps/host/src/router.ts";
import { HostService } from "../apps/host/src/service.ts";
import { accelLabel, benchHostConfig, benchImagesData } from "./host-config.ts";
import { firstFramebufferUpdate } from "./rfb-probe.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEADLINE_MS = 240_000;
const GOAL_MS = 1500;
const MiB = 1024 * 1024;
const hardStop = setTimeout(() => {
  console.error("clone: deadline passed, giving up");
  process.exit(2);
}, DEADLINE_MS);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Resolves when the VM's serial output after `from` matches `re`. */
async function serialMatch(service: HostService, id: string, re: RegExp, from: number, timeoutMs = 60_000): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let text = "";
  try {
    const ring = service.vms.get(id).serial.ring;
    for await (const chunk of service.serialStream(id, Math.min(ring.capacity, ring.total - from), ac.signal)) {
      text += chunk.data.subarray(Math.max(0, from - chunk.offset)).toString("latin1");
      if (re.test(text)) return;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new Error(`serial of '${id}' did not match ${re} in ${timeoutMs} ms`);
}

async function run(service: HostService, id: string, cmd: string, re: RegExp): Promise<void> {
  const from = service.vms.get(id).serial.ring.total;
  await service.serialWrite(id, Buffer.from(`${cmd}\n`));
  await serialMatch(service, id, re, from);
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "gh-bench-clone-"));
  const images = await ensureImages({ dataDir: benchImagesData });
  const config = await benchHostConfig(dataDir);
  const service = await HostService.open(config, pino({ level: "silent" }));
  const api = createHostCaller({ service, authenticated: true });
  const spec = (disk: string) =>
    VmSpecSchema.parse({
      name: "bench",
      memoryMiB: 128,
      cdrom: null,
      disks: [{ disk }],
      kernel: { kernel: images.tinyLinux.kernel, initrd: images.tinyLinux.initrd, cmdline: images.tinyLinux.cmdline },
    });
  const instant = { call: [] as number[], fb: [] as number[], usable: [] as number[] };
  const cold = { fb: [] as number[], prompt: [] as number[] };
  const sizes = { linked: 0, full: 0, state: 0 };
  try {
    for (const d of ["src-disk", "cold-disk"]) await api.disk.create({ id: d, sizeBytes: 32 * MiB });
    await api.vm.define({ id: "src", spec: spec("src-disk") });
    await api.vm.define({ id: "cold", spec: spec("cold-disk") });
    await api.vm.start({ id: "src" });
    await serialMatch(service, "src", /tiny# /, 0);
    await run(service, "src", "dd if=/dev/urandom of=/dev/vda bs=1M count=16 2>/dev/null; sync; echo dd-done", /\ndd-done\r?\n/);
    await api.template.create({ id: "tpl", fromVm: "src" });

    for (let round = 0; round < ROUNDS; round++) {
      const id = `c${round}`;
      let t0 = performance.now();
      await api.template.clone({ templateId: "tpl", id, name: "clone", mode: "instant" });
      instant.call.push(performance.now() - t0);
      await firstFramebufferUpdate(service.vncSocketPath(id));
      instant.fb.push(performance.now() - t0);
      await run(service, id, "echo ready-$((40+2))", /\nready-42\r?\n/);
      instant.usable.push(performance.now() - t0);
      await api.vm.powerOff({ id });
      await api.vm.delete({ id, deleteDisks: true });

      const from = service.vms.get("cold").serial.ring.total;
      t0 = performance.now();
      await api.vm.start({ id: "cold" });
      await firstFramebufferUpdate(service.vncSocketPath("cold"));
      cold.fb.push(performance.now() - t0);
      await serialMatch(service, "cold", /tiny# /, from);
      cold.prompt.push(performance.now() - t0);
      await api.vm.powerOff({ id: "cold" });
    }
    await api.template.clone({ templateId: "tpl", id: "lk", name: "linked", mode: "linked" });
    await api.template.clone({ templateId: "tpl", id: "fu", name: "full", mode: "full" });
    sizes.linked = (await api.disk.info({ id: "lk-disk0" })).actualSizeBytes ?? NaN;
    sizes.full = (await api.disk.info({ id: "fu-disk0" })).actualSizeBytes ?? NaN;
    sizes.state = (await stat(join(dataDir, "host/templates/tpl/ram.state"))).size;
  } finally {
    const live = [...service.vms.records.values()].flatMap((r) => (r.instance ? [r.instance] : []));
    for (const i of live) i.kill("SIGKILL");
    await Promise.all(live.map((i) => i.exited));
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const [ic, ifb, iu, cf, cp] = [median(instant.call), median(instant.fb), median(instant.usable), median(cold.fb), median(cold.prompt)];
  console.log(`clone: ${ROUNDS} rounds, tiny Linux -m 128 + 32 MiB disk, accel ${accelLabel(config)}; medians`);
  console.log(`  instant clone: call ${ms(ic)}, first framebuffer ${ms(ifb)}, shell answers ${ms(iu)}`);
  console.log(`  cold boot:     first framebuffer ${ms(cf)}, shell prompt ${ms(cp)}`);
  console.log(
    `  ratios: instant FB ÷ cold FB ${(ifb / cf).toFixed(2)}x; instant FB ÷ cold prompt ${(ifb / cp).toFixed(2)}x; instant usable ÷ cold prompt ${(iu / cp).toFixed(2)}x`,
  );
  console.log(
    `  rounds instant (call/FB/usable ms): ${instant.call.map((c, i) => `${c.toFixed(0)}/${instant.fb[i]?.toFixed(0)}/${instant.usable[i]?.toFixed(0)}`).join(" ")}`,
  );
  console.log(`  rounds cold (FB/prompt ms): ${cold.fb.map((f, i) => `${f.toFixed(0)}/${cold.prompt[i]?.toFixed(0)}`).join(" ")}`);
  console.log(
    `  disk actual bytes: full clone ${(sizes.full / MiB).toFixed(2)} MiB, linked clone ${(sizes.linked / MiB).toFixed(2)} MiB (${(sizes.full / sizes.linked).toFixed(0)}x); RAM state ${(sizes.state / MiB).toFixed(1)} MiB`,
  );
  console.log(`  goal: instant clone → first framebuffer ≤ ${GOAL_MS} ms → ${ifb <= GOAL_MS ? "MET" : "MISSED"}`);
}

main()
  .catch((err: Error) => {
    console.error(`clone: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
