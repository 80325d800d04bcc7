// Display load: 20 viewers on one VM, then 10 VMs with a viewer each, all through the console's
// display WebSocket (ticket, RFB filter, host, QEMU's VNC socket). Each viewer asks for a full Raw
// update, reads it whole and asks again, as fast as it goes. Anchor: one viewer on one VM, the same
// way, so the ratios say what sharing the path costs.
//   CONSOLE_URL=… DATABASE_URL=… node --import tsx bench/load-display.ts     # BENCH_SECONDS=N (15), BENCH_VIEWERS=N (20), BENCH_VMS=N (10)
import { randomBytes } from "node:crypto";
import { adminSession, db, percentile, removeVm, runningVm, viewer, type Viewer } from "./load-support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 20);
const VMS = Number(process.env.BENCH_VMS ?? 10);
const deadline = setTimeout(() => (console.error("load-display: deadline passed"), process.exit(2)), (SECONDS * 3 + 300) * 1000);

const s = await adminSession();
const tag = randomBytes(2).toString("hex");
const vms: string[] = [];

async function measure(label: string, targets: string[]) {
  const viewers: Viewer[] = [];
  for (const vmId of targets) viewers.push(await viewer(s, vmId));
  // Counted from here: every viewer is connected and has its first update behind it.
  await Promise.all(
    viewers.map(async (v) => {
      while (!v.latencies.length) await new Promise((r) => setTimeout(r, 20));
    }),
  );
  const start = viewers.map((v) => ({ n: v.latencies.length, bytes: v.bytes }));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const lat = viewers.flatMap((v, i) => v.latencies.slice(start[i]!.n));
  const bytes = viewers.reduce((sum, v, i) => sum + v.bytes - start[i]!.bytes, 0);
  const cut = viewers.filter((v) => v.error).length;
  if (cut) console.log(`  ${cut} viewers were cut off: ${viewers.find((v) => v.error)?.error}`);
  await Promise.all(viewers.map((v) => v.stop()));
  const row = {
    label,
    viewers: viewers.length,
    updatesPerS: lat.length / SECONDS,
    mibPerS: bytes / SECONDS / 2 ** 20,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
  };
  console.log(
    `${label.padEnd(26)} ${String(row.viewers).padStart(3)} viewers  ${row.updatesPerS.toFixed(1).padStart(7)} updates/s  ${row.mibPerS.toFixed(1).padStart(6)} MiB/s  p50 ${row.p50.toFixed(1)} ms  p95 ${row.p95.toFixed(1)} ms`,
  );
  return row;
}

try {
  for (let i = 0; i < VMS; i++) vms.push(await runningVm(s, `load-${tag}-${i}`));
  // Let the guests get past their firmware: the screen only changes a little after that.
  await new Promise((r) => setTimeout(r, 8000));
  const anchor = await measure("anchor: 1 viewer, 1 VM", [vms[0]!]);
  const many = await measure(`${VIEWERS} viewers on 1 VM`, Array(VIEWERS).fill(vms[0]!));
  const spread = await measure(`${VMS} VMs, 1 viewer each`, vms);
  for (const r of [many, spread])
    console.log(
      `${r.label}: total updates ${(r.updatesPerS / anchor.updatesPerS).toFixed(2)}× anchor, per viewer ${(r.updatesPerS / r.viewers / anchor.updatesPerS).toFixed(2)}×, p95 ${(r.p95 / anchor.p95).toFixed(1)}× anchor`,
    );
} finally {
  for (const vmId of vms) await removeVm(s, vmId);
  await db.user.delete({ where: { id: s.userId } });
  await db.$disconnect();
  clearTimeout(deadline);
}
