/**
 * Guest-to-guest TCP throughput and request round trips: a nat network (virtio-net on a tap on our
 * bridge, the host service's own path) against QEMU's user-mode networking, between the same kind of
 * guests, under TCG and KVM.
 *
 *   GUESTHOUSE_DATA=.data/test node --import tsx bench/network.ts     # ~3 min; BENCH_ACCELS=tcg,kvm (default both)
 *   BENCH_ROUNDS=N (5), BENCH_MIB=M (128 MiB per transfer), BENCH_REQUESTS=R (40 HTTP GETs per round)
 *
 * Everything runs inside a network namespace per accelerator that this script makes and always deletes (with every
 * process still in it): the host service realises the nat network there (bridge, dnsmasq, nftables,
 * taps), and QEMU runs there, so user-mode's host forwards bind that namespace's loopback.
 *
 * The two paths, each between guests "a" (receiver, web server) and "b" (sender, client):
 *   nat:  b → tap → bridge ghbrbench → tap → a                          (10.210.0.0/24, a's leased address)
 *   user: b → slirp(b) → 10.0.2.2:P = the namespace's 127.0.0.1:P → hostfwd of slirp(a) → a
 *         User-mode guests cannot reach each other directly; this is the only guest-to-guest path
 *         user-mode offers, so it is the one compared.
 * Throughput: `dd if=/dev/zero bs=64k | nc` in b into `nc -l -e` running `wc -c` in a (the count is
 * checked: with its stdin at EOF, a plain `nc -l` half-closes at once and busybox's sender then stops early), timed on the host from
 * typing the command to b's "sent" line (so it includes connect and close). Round trip: R sequential
 * busybox `wget`s of a's httpd page (a new TCP connection each), host-timed, per request. QEMU CPU:
 * user+system seconds of both QEMU processes per GB moved, from /proc: the work vhost-net would take
 * out of QEMU (this kernel has no /dev/vhost-net). Rounds interleave the two paths. Goal (issue 13):
 * nat ≥ 5× user-mode's throughput with KVM.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages, type ImageManifest } from "@guesthouse/images";
import { probeAccelerator } from "@guesthouse/qemu/accel";
import { randomMac, type VmNic } from "@guesthouse/shared/network";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { pino } from "pino";
import { deleteAllTestNetns, deleteNetns, makeNetns } from "../apps/host/src/net/test-netns.test-support.ts";
import { readEngineEnv } from "../apps/host/src/env.ts";
import { createHostCaller } from "../apps/host/src/router.ts";
import { HostService } from "../apps/host/src/service.ts";
import { benchHostConfig, benchImagesData } from "./host-config.ts";
import { randomBytes } from "node:crypto";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MIB = Number(process.env.BENCH_MIB ?? 128);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40);
const ACCELS = (process.env.BENCH_ACCELS ?? "tcg,kvm").split(",") as ("tcg" | "kvm")[];
const GOAL = 5;
const NAT = { id: "benchnat", kind: "nat" as const, bridge: "ghbrbench", subnet: "10.210.0.0/24" };

const hardStop = setTimeout(() => {
  console.error("network bench: deadline passed, giving up");
  process.exit(2); // the exit hook kills what runs in the namespace and deletes it
}, 1_500_000);
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
};

class BootError extends Error {}

interface Path {
  label: string;
  a: string;
  b: string;
  /** Where b connects for a's nc listener and a's web server. */
  target: { host: string; tcp: number; http: number };
}
interface Figures {
  mbps: number[];
  rrMs: number[];
  cpuPerGb: number[];
}

async function runAccel(mode: "tcg" | "kvm", images: ImageManifest, ns: string): Promise<Record<string, Figures> | undefined> {
  const engine = readEngineEnv();
  let accel;
  try {
    accel = await probeAccelerator({ binary: engine.qemuBinary, mode });
  } catch (err) {
    console.log(`${mode.toUpperCase()}: not measured: ${(err as Error).message}`);
    return undefined;
  }
  console.log(`\n${mode.toUpperCase()} in namespace ${ns}: ${accel.summary}; guests get cpu ${accel.baseline}`);
  const dataDir = await mkdtemp(join(tmpdir(), "gh-netbench-"));
  const service = await HostService.open({ ...(await benchHostConfig(dataDir)), accel, netns: ns }, pino({ level: "silent" }));
  const api = createHostCaller({ service, authenticated: true });
  const serial = serialOf(service);
  try {
    await api.network.ensure({ network: NAT });
    const nic = (attach: VmNic["attach"]): VmNic => ({
      slot: 0,
      mac: randomMac(randomBytes(5)),
      model: "virtio-net-pci",
      attach,
      linkUp: true,
    });
    const guests: [string, VmNic][] = [
      ["nat-a", nic({ kind: "network", network: NAT.id })],
      ["nat-b", nic({ kind: "network", network: NAT.id })],
      ["usr-a", nic({ kind: "user" })],
      ["usr-b", nic({ kind: "user" })],
    ];
    const addr: Record<string, string> = {};
    const bootS = Number(process.env.BENCH_BOOT_S ?? 180);
    // One at a time: four guests booting at once under nested KVM starve each other (none reached its prompt in 2 min).
    for (const [id, n] of guests) {
      await (async () => {
        const booted = performance.now();
        const spec = VmSpecSchema.parse({
          name: id,
          memoryMiB: 128,
          cdrom: null,
          kernel: {
            kernel: images.tinyLinux.kernel,
            initrd: images.tinyLinux.initrd,
            cmdline: `${images.tinyLinux.cmdline} gh.hostname=${id}`,
          },
          nics: [n],
        });
        await api.vm.define({ id, spec });
        await api.vm.start({ id });
        const text = await serial.wait(id, /gh-net: eth0 (\d+\.\d+\.\d+\.\d+)\r?\n/, 0, bootS * 1000).catch((err: Error) => {
          throw new BootError(`${id} did not boot within ${bootS} s (BENCH_BOOT_S): ${err.message.slice(0, 160)}`);
        });
        addr[id] = (/gh-net: eth0 (\d+\.\d+\.\d+\.\d+)\r?\n/.exec(text) as RegExpExecArray)[1] as string;
        await serial.wait(id, /tiny# /, 0, 60_000);
        console.log(`  ${id}: ${addr[id]} after ${((performance.now() - booted) / 1000).toFixed(1)} s`);
      })();
    }
    // user-mode: a's services forwarded from the namespace's loopback, which b's slirp reaches as 10.0.2.2.
    const usrA = service.vms.get("usr-a").instance!;
    for (const fwd of ["tcp:127.0.0.1:15001-:5001", "tcp:127.0.0.1:15080-:80"]) {
      await usrA.qmp.execute("human-monitor-command", { "command-line": `hostfwd_add net0 ${fwd}` });
    }
    const paths: Path[] = [
      { label: "nat (virtio-net, tap, bridge)", a: "nat-a", b: "nat-b", target: { host: addr["nat-a"]!, tcp: 5001, http: 80 } },
      { label: "user-mode (slirp → hostfwd)", a: "usr-a", b: "usr-b", target: { host: "10.0.2.2", tcp: 15001, http: 15080 } },
    ];
    const out: Record<string, Figures> = {};
    for (const p of paths) out[p.label] = { mbps: [], rrMs: [], cpuPerGb: [] };
    for (let r = 1; r <= ROUNDS; r++) {
      for (const p of paths) {
        const f = out[p.label]!;
        const pids = [p.a, p.b].map((id) => service.vms.get(id).instance!.pid);
        // a listens (and says so only once the port is bound); b sends MIB MiB and says when nc ended.
        await serial.run(
          p.a,
          `printf '#!/bin/sh\\nwc -c >/tmp/rx\\n' >/tmp/rx.sh; chmod +x /tmp/rx.sh; (nc -l -p 5001 -e /tmp/rx.sh </dev/null; echo gh-r""x-${r} $(cat /tmp/rx)) & until netstat -ltn | grep -q ':5001 '; do usleep 20000; done; echo gh-l""istening-${r}`,
          new RegExp(`gh-listening-${r}`),
        );
        const cpu0 = pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
        const t0 = performance.now();
        const sent = await serial.run(
          p.b,
          `dd if=/dev/zero bs=64k count=${MIB * 16} 2>/dev/null | nc ${p.target.host} ${p.target.tcp}; echo gh-s""ent-${r}`,
          new RegExp(`gh-sent-${r}`),
          300_000,
        );
        const seconds = (performance.now() - t0) / 1000;
        if (/nc: /.test(sent)) throw new Error(`${p.label}: ${p.b}'s nc failed: ${JSON.stringify(sent.slice(-200))}`);
        const cpu = pids.reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
        const rx = await serial.wait(p.a, new RegExp(`gh-rx-${r} (\\d+)\r?\n`), 0, 30_000);
        const got = Number(new RegExp(`gh-rx-${r} (\\d+)`).exec(rx)![1]);
        if (got !== MIB * 1024 * 1024) throw new Error(`${p.label}: ${p.a} received ${got} bytes, not ${MIB * 1024 * 1024}`);
        f.mbps.push((MIB * 1.048576) / seconds);
        f.cpuPerGb.push(cpu / ((MIB * 1.048576) / 1000));
        const t1 = performance.now();
        await serial
          .run(
            p.b,
            `for i in $(seq ${REQUESTS}); do wget -q -O /dev/null http://${p.target.host}:${p.target.http}/ || echo gh-f""ail; done; echo gh-r""r-${r}`,
            new RegExp(`gh-rr-${r}|gh-fail`),
            120_000,
          )
          .then((text) => {
            if (/gh-fail/.test(text)) throw new Error(`${p.label}: a request from ${p.b} failed`);
          });
        f.rrMs.push((performance.now() - t1) / REQUESTS);
        console.log(
          `  round ${r} ${p.label.padEnd(30)} ${f.mbps.at(-1)!.toFixed(1).padStart(7)} MB/s  ${f.rrMs.at(-1)!.toFixed(2).padStart(7)} ms/request  QEMU CPU ${f.cpuPerGb.at(-1)!.toFixed(1)} s/GB`,
        );
      }
    }
    return out;
  } catch (err) {
    if (!(err instanceof BootError)) throw err;
    console.log(`${mode.toUpperCase()}: not measured: ${err.message}`);
    return undefined;
  } finally {
    const instances = [...service.vms.records.values()].flatMap((rec) => (rec.instance ? [rec.instance] : []));
    for (const i of instances) i.kill("SIGKILL");
    await Promise.all(instances.map((i) => i.exited));
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Serial helpers on the service's own ring (as the host's integration tests use it). */
function serialOf(service: HostService) {
  const wait = async (vmId: string, re: RegExp, fromOffset: number, timeoutMs: number): Promise<string> => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const ring = service.vms.get(vmId).serial.ring;
    let text = "";
    let seen = fromOffset;
    try {
      for await (const chunk of service.serialStream(vmId, Math.min(ring.capacity, ring.total - fromOffset), ac.signal)) {
        text += chunk.data.subarray(Math.max(0, seen - chunk.offset)).toString("latin1");
        seen = Math.max(seen, chunk.offset + chunk.data.length);
        if (re.test(text)) return text;
      }
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    throw new Error(`serial of '${vmId}' did not match ${re} within ${timeoutMs} ms; got ${JSON.stringify(text.slice(-300))}`);
  };
  return {
    wait,
    async run(vmId: string, command: string, re: RegExp, timeoutMs = 60_000): Promise<string> {
      const from = service.vms.get(vmId).serial.ring.total;
      await service.serialWrite(vmId, Buffer.from(`${command}\n`));
      return wait(vmId, re, from, timeoutMs);
    },
  };
}

const images = await ensureImages({ dataDir: benchImagesData });
console.log(
  `network bench: ${ROUNDS} rounds of ${MIB} MiB and ${REQUESTS} requests; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
);
console.log(
  `vhost-net: ${existsSync("/dev/vhost-net") ? "/dev/vhost-net exists (not used: the host service does not pass vhost=on)" : "absent (/dev/vhost-net missing): every packet goes through QEMU's own loop"}`,
);
const made: string[] = [];
const results: Record<string, Record<string, Figures> | undefined> = {};
try {
  for (const mode of ACCELS) {
    const ns = makeNetns(`netbench-${mode}`);
    made.push(ns);
    try {
      results[mode] = await runAccel(mode, images, ns);
    } finally {
      deleteNetns(ns);
    }
  }
} finally {
  deleteAllTestNetns();
}

console.log("\nmedians (nat ÷ user-mode is the ratio the goal is about):");
for (const [mode, r] of Object.entries(results)) {
  if (!r) continue;
  const [nat, user] = Object.values(r) as [Figures, Figures];
  const t = median(nat.mbps) / median(user.mbps);
  for (const [label, f] of Object.entries(r)) {
    console.log(
      `  ${mode.toUpperCase()} ${label.padEnd(30)} ${median(f.mbps).toFixed(1).padStart(7)} MB/s  ${median(f.rrMs).toFixed(2).padStart(7)} ms/request  QEMU CPU ${median(f.cpuPerGb).toFixed(1)} s/GB`,
    );
  }
  console.log(
    `  ${mode.toUpperCase()} throughput nat ÷ user-mode ${t.toFixed(2)}×, round trip user-mode ÷ nat ${(median(user.rrMs) / median(nat.rrMs)).toFixed(2)}×` +
      (mode === "kvm" ? `  goal ≥ ${GOAL}× with KVM: ${t >= GOAL ? "MET" : "MISSED"}` : ""),
  );
}
const left = execLeft();
console.log(left ? `LEFT BEHIND: ${left}` : "namespace deleted; nothing of the bench's left in the machine's namespace");
clearTimeout(hardStop);

function execLeft(): string {
  const links = readFileSync("/proc/net/dev", "utf8")
    .split("\n")
    .map((l) => l.split(":")[0]!.trim())
    .filter((n) => n.startsWith("ghbr") || n.startsWith("ght"));
  const nsLeft = made.filter((ns) => existsSync(`/run/netns/${ns}`));
  return [...links, ...nsLeft].join(", ");
}
