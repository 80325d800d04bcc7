/** Tables and goal verdicts of bench/display-proxy.ts. */
import { cpus, loadavg } from "node:os";
import type { RefreshResult } from "./bench-workloads.ts";

export const GOALS = { throughputVsRaw: 0.9, addedP99Ms: 0.3 } as const;

export interface TransportSamples {
  name: string;
  /** MB/s, one per round. */
  throughput: number[];
  /** Round trips in ms, all rounds pooled. */
  rtts: number[];
  /** CPU seconds of the proxy process against the bytes it moved. */
  proxyCpu: { cpu: number; bytes: number }[];
}

export interface QemuSamples {
  name: string;
  refresh: RefreshResult[];
}

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[at] ?? NaN;
};
const median = (values: number[]): number => percentile(values, 50);
const verdict = (ok: boolean): string => (ok ? "MET" : "MISSED");
const sum = <T>(items: T[], f: (item: T) => number): number => items.reduce((total, item) => total + f(item), 0);

function formatRow(cells: string[], widths: number[]): string {
  const pad = (c: string, i: number): string => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0));
  return cells.map(pad).join("  ");
}

export function printHeader(rounds: number): void {
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(
    `Display path benchmark: node ${process.version}, ${cpus().length} CPUs, load average ${load}, ${rounds} interleaved rounds, loopback`,
  );
}

/** Rows in order: raw TCP anchor, our proxy, websockify. */
export function reportTransport(rows: TransportSamples[]): void {
  const [raw, ours, websockify] = rows;
  if (!raw || !ours || !websockify) throw new Error("three rows expected");
  const rawMbps = median(raw.throughput);
  const [rawP50, rawP99] = [percentile(raw.rtts, 50), percentile(raw.rtts, 99)];
  console.log("\nWorkload A: benchmark fake RFB server; raw 640x480 updates streamed (median of rounds);");
  console.log("1x1 update round trips, one in flight (all rounds pooled)");
  const widths = [36, 6, 6, 10, 7, 7, 7, 7];
  const header = ["path", "MB/s", "× raw", "proxy CPU", "p50 ms", "p99 ms"];
  console.log(formatRow([...header, "+p50", "+p99"], widths));
  for (const row of rows) {
    const mbps = median(row.throughput);
    const [p50, p99] = [percentile(row.rtts, 50), percentile(row.rtts, 99)];
    const isRaw = row === raw;
    const bytes = sum(row.proxyCpu, (x) => x.bytes);
    const cpuPerGb = (sum(row.proxyCpu, (x) => x.cpu) / bytes) * 1e9;
    console.log(
      formatRow(
        [
          row.name,
          mbps.toFixed(0),
          (mbps / rawMbps).toFixed(2),
          bytes > 0 ? `${cpuPerGb.toFixed(2)} s/GB` : "—",
          p50.toFixed(3),
          p99.toFixed(3),
          isRaw ? "—" : (p50 - rawP50).toFixed(3),
          isRaw ? "—" : (p99 - rawP99).toFixed(3),
        ],
        widths,
      ),
    );
  }
  const oursMbps = median(ours.throughput);
  const ratio = oursMbps / rawMbps;
  const vsWebsockify = oursMbps / median(websockify.throughput);
  const added = percentile(ours.rtts, 99) - rawP99;
  console.log("\nGoals (workload A):");
  console.log(`  throughput ≥ ${GOALS.throughputVsRaw}× raw TCP: ${verdict(ratio >= GOALS.throughputVsRaw)} (${ratio.toFixed(2)}×)`);
  console.log(`  ahead of websockify: ${verdict(vsWebsockify > 1)} (${vsWebsockify.toFixed(2)}× websockify)`);
  console.log(`  added p99 round trip ≤ ${GOALS.addedP99Ms} ms: ${verdict(added <= GOALS.addedP99Ms)} (+${added.toFixed(3)} ms)`);
}

/** Rows in order: raw TCP anchor, our proxy, ..., QEMU's websocket last. */
export function reportQemu(rows: QemuSamples[]): void {
  const rate = (row: QemuSamples): number => sum(row.refresh, (r) => r.bytes) / 1e6 / sum(row.refresh, (r) => r.seconds);
  const [raw, ours, qemuWs] = [rows[0], rows[1], rows.at(-1)];
  if (!raw || !ours || !qemuWs) throw new Error("rows expected");
  console.log("\nWorkload B (different workload): real QEMU 7.2 guest, 720x400 text screen rewritten nonstop,");
  console.log("full non-incremental update requests, one in flight. Bound by QEMU's 30 ms refresh tick, not by the path.");
  const widths = [36, 6, 9, 6, 7, 7];
  const header = ["path", "MB/s", "updates/s", "× raw", "p50 ms", "p99 ms"];
  console.log(formatRow(header, widths));
  for (const row of rows) {
    const all = row.refresh.flatMap((r) => r.rtts);
    const seconds = sum(row.refresh, (r) => r.seconds);
    console.log(
      formatRow(
        [
          row.name,
          rate(row).toFixed(1),
          (all.length / seconds).toFixed(1),
          (rate(row) / rate(raw)).toFixed(2),
          percentile(all, 50).toFixed(1),
          percentile(all, 99).toFixed(1),
        ],
        widths,
      ),
    );
  }
  const vsQemu = rate(ours) / rate(qemuWs);
  console.log("\nGoal (workload B):");
  console.log(`  ahead of QEMU websocket=on: ${verdict(vsQemu > 1)} (${vsQemu.toFixed(2)}× QEMU's websocket; both QEMU-bound)`);
}
