/**
 * Start latency: the host API's `vm.start` against QEMU's own start with the same argv.
 *
 *   node --import tsx bench/host-start.ts          (~30 s, stops itself; BENCH_ROUNDS=N to change 5)
 *
 * Per round, for one tiny-Linux guest (-m 128, TCG):
 *   service: t0 = vm.start over HTTP (typed client) → call returns (QMP ready, CPUs running)
 *            → RFB 3.8/None handshake on vnc.sock → first FramebufferUpdate
 *   direct:  t0 = spawn of qemu-system-x86_64 with the argv the service builds (minus -S)
 *            → QMP greeting + capabilities → same RFB probe → first FramebufferUpdate
 * Rounds alternate service/direct; medians are reported, with ratios service ÷ direct.
 * Goal (docs/design.md): first framebuffer update at most QEMU's own start + 0.3 s.
 */
import { firstFramebufferUpdate } from "./rfb-probe.ts";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages } from "@guesthouse/images";
import { cpuArgFor } from "@guesthouse/qemu/accel";
import { buildArgv } from "@guesthouse/qemu/argv";
import { QmpClient } from "@guesthouse/qemu/qmp";
import { runtimePaths } from "@guesthouse/qemu/runtime-paths";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { pino } from "pino";
import { createHostClient } from "@guesthouse/host-client";
import { createHostHttpServer } from "../apps/host/src/http-server.ts";
import { HostService } from "../apps/host/src/service.ts";
import { accelLabel, benchHostConfig, benchImagesData } from "./host-config.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROMPT_TIMEOUT_MS = Number(process.env.BENCH_PROMPT_TIMEOUT_S ?? 60) * 1000;
const DEADLINE_MS = 60_000 + ROUNDS * (PROMPT_TIMEOUT_MS + 10_000);
const TOKEN = "bench-token-0123456789";
const GOAL_EXTRA_MS = 300;

const hardStop = setTimeout(() => {
  console.error("host-start: deadline passed, giving up");
  process.exit(2);
}, DEADLINE_MS);

/** True once the guest's serial output since byte `from` shows the shell prompt, false after `timeoutMs`. */
async function serialPrompt(service: HostService, id: string, from: number, timeoutMs: number): Promise<boolean> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let text = "";
  try {
    const ring = service.vms.get(id).serial.ring;
    for await (const chunk of service.serialStream(id, Math.max(0, ring.total - from), ac.signal)) {
      text += chunk.data.subarray(Math.max(0, from - chunk.offset)).toString("latin1");
      if (text.includes("tiny# ")) return true;
    }
    return false;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "gh-bench-start-"));
  const images = await ensureImages({ dataDir: benchImagesData });
  const config = await benchHostConfig(dataDir);
  const service = await HostService.open(config, pino({ level: "silent" }));
  const http = createHostHttpServer({ service, token: TOKEN, log: pino({ level: "silent" }) });
  await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
  const api = createHostClient({ url: `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`, token: TOKEN });
  const spec = VmSpecSchema.parse({
    name: "bench",
    memoryMiB: 128,
    cdrom: null,
    kernel: { kernel: images.tinyLinux.kernel, initrd: images.tinyLinux.initrd, cmdline: images.tinyLinux.cmdline },
  });
  await api.vm.define.mutate({ id: "bench", spec });
  const directDir = join(dataDir, "direct");
  await mkdir(directDir);
  const directArgv = buildArgv({
    id: "direct",
    spec,
    stateDir: directDir,
    diskPaths: [],
    accel: config.accel.accel,
    cpu: cpuArgFor(config.accel.baseline ?? "x86-64-v1", config.accel) ?? "qemu64",
    tcgTbSizeMiB: 32,
  });

  const svc = { qmp: [] as number[], fb: [] as number[], prompt: [] as (number | undefined)[] };
  const direct = { qmp: [] as number[], fb: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const serialFrom = service.vms.get("bench").serial.ring.total;
      let t0 = performance.now();
      await api.vm.start.mutate({ id: "bench" });
      svc.qmp.push(performance.now() - t0);
      await firstFramebufferUpdate(service.vncSocketPath("bench"));
      svc.fb.push(performance.now() - t0);
      const prompted = await serialPrompt(service, "bench", serialFrom, PROMPT_TIMEOUT_MS);
      svc.prompt.push(prompted ? performance.now() - t0 : undefined);
      await api.vm.powerOff.mutate({ id: "bench" });

      const paths = runtimePaths(directDir);
      t0 = performance.now();
      const child = spawn("qemu-system-x86_64", directArgv, { stdio: "ignore" });
      try {
        const qmp = await QmpClient.connect(paths.qmp, { timeoutMs: 10_000 });
        direct.qmp.push(performance.now() - t0);
        await firstFramebufferUpdate(paths.vnc);
        direct.fb.push(performance.now() - t0);
        qmp.close();
      } finally {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        await rm(paths.vnc, { force: true });
      }
    }
  } finally {
    await api.vm.powerOff.mutate({ id: "bench" }).catch(() => undefined);
    await http.close();
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const [sq, sf, dq, df] = [median(svc.qmp), median(svc.fb), median(direct.qmp), median(direct.fb)];
  console.log(`host-start: ${ROUNDS} rounds, tiny Linux -m 128, accel ${accelLabel(config)}; medians`);
  console.log(`  QMP ready:            service ${ms(sq)}   direct QEMU ${ms(dq)}   ratio ${(sq / dq).toFixed(2)}x`);
  console.log(`  first framebuffer:    service ${ms(sf)}   direct QEMU ${ms(df)}   ratio ${(sf / df).toFixed(2)}x   (+${ms(sf - df)})`);
  const prompts = svc.prompt.filter((p): p is number => p !== undefined);
  console.log(
    `  boot to shell prompt: ${prompts.length ? ms(median(prompts)) : `none within ${PROMPT_TIMEOUT_MS / 1000} s`}` +
      ` (${prompts.length}/${svc.prompt.length} rounds reached it; goal with KVM ≤ 2 s)`,
  );
  console.log(`  service rounds (QMP/FB ms): ${svc.qmp.map((q, i) => `${q.toFixed(0)}/${svc.fb[i]?.toFixed(0)}`).join(" ")}`);
  console.log(`  direct rounds  (QMP/FB ms): ${direct.qmp.map((q, i) => `${q.toFixed(0)}/${direct.fb[i]?.toFixed(0)}`).join(" ")}`);
  console.log(`  goal: first framebuffer ≤ QEMU's own + ${GOAL_EXTRA_MS} ms → ${sf - df <= GOAL_EXTRA_MS ? "MET" : "MISSED"}`);
}

main()
  .catch((err: Error) => {
    console.error(`host-start: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
