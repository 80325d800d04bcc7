/**
 * Workload C of bench/display-proxy.ts: the whole browser path against its anchors, on one real
 * QEMU guest. A viewer takes a ticket from the console, opens the console's WebSocket with it
 * (ws and wss), the console joins it to the host's /display endpoint, and the host pipes it to the
 * guest's VNC unix socket. Each hop is also measured alone, next to raw TCP (the physical limit),
 * the raw unix socket, websockify 0.10 and QEMU's own websocket=on, in interleaved rounds.
 */
import { Socket } from "node:net";
import { QmpClient } from "@guesthouse/qemu";
import { addVncClient } from "@guesthouse/qemu/vnc-client";
import { openTcp, openWebSocket, type Link } from "../../packages/rfb/bench/bench-links.ts";
import { freePort, startBenchQemu, type BenchQemu, type ChildProcesses } from "../../packages/rfb/bench/bench-processes.ts";
import { percentile } from "../../packages/rfb/bench/bench-report.ts";
import { debug, withTimeout } from "../../packages/rfb/bench/bench-time.ts";
import { measureBursts } from "./burst.ts";
import { BENCH_HOST_TOKEN, BENCH_VM } from "./roles.ts";

const ROUNDS = 3;
const UPDATES = 60;
export const GOAL_VS_RAW = 0.9;

interface BurstPath {
  name: string;
  open: () => Promise<Link>;
}

interface Row {
  name: string;
  /** Median burst of each round, MiB/s. */
  rounds: number[];
  all: number[];
  updateBytes: number;
}

interface BrowserPathSetup {
  script: string;
  dir: string;
  qemu: BenchQemu;
  websockifyPort: number;
  /** The bench's own QMP monitor on the guest, for the socket-pair row. */
  benchQmp: QmpClient;
}

/** What the host's /display reads (ADR 0060), read directly: its ceiling. */
async function openSizedPair(qmp: QmpClient): Promise<Link> {
  const socket = new Socket({ fd: await addVncClient(qmp), readable: true, writable: true });
  const link: Link = { send: (d) => socket.write(d), close: () => socket.destroy(), onData: (c) => link.early.push(c), early: [] };
  socket.on("data", (chunk: Buffer) => {
    link.onArrival?.();
    link.onData(chunk);
  });
  return link;
}

async function ticket(consolePort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${consolePort}/bench/ticket?mode=control`);
  return response.text();
}

function paths(setup: BrowserPathSetup, hostPort: number, consolePort: number): BurstPath[] {
  const { qemu } = setup;
  const display = `/ws/display/${BENCH_VM}`;
  // A browser offers no subprotocol (VncViewer.tsx): neither does the viewer here.
  const viaConsole = (scheme: "ws" | "wss") => async () =>
    openWebSocket(`${scheme}://127.0.0.1:${consolePort}${display}?ticket=${await ticket(consolePort)}`, {
      protocols: [],
      insecureTls: true,
    });
  return [
    { name: "raw TCP → QEMU VNC (physical limit)", open: () => openTcp(qemu.vncPort) },
    { name: "(diagnostic) raw unix socket → QEMU VNC", open: () => openTcp(qemu.unixPath) },
    { name: "(diagnostic) sized socket pair → QEMU VNC", open: () => openSizedPair(setup.benchQmp) },
    { name: "websockify 0.10 → QEMU TCP", open: () => openWebSocket(`ws://127.0.0.1:${setup.websockifyPort}/`) },
    { name: "QEMU websocket=on", open: () => openWebSocket(`ws://127.0.0.1:${qemu.wsPort}/`) },
    {
      name: "host /display alone → unix",
      open: () =>
        openWebSocket(`ws://127.0.0.1:${hostPort}/display/${BENCH_VM}?mode=control`, {
          protocols: [],
          headers: { authorization: `Bearer ${BENCH_HOST_TOKEN}` },
        }),
    },
    { name: "browser URL: ticket → console → host", open: viaConsole("ws") },
    { name: "browser URL over wss (TLS at console)", open: viaConsole("wss") },
  ];
}

/** QEMU and websockify take a moment to listen. */
async function waitUntilServed(list: BurstPath[]): Promise<void> {
  for (const path of list) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        (await withTimeout(path.name, 3000, path.open())).close();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${path.name} never became reachable: ${String(error)}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

const rotate = <T>(items: T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);

/** `script` is bench/display-proxy.ts, which runs the host and console roles (roles.ts). */
export async function runBrowserPathWorkload(children: ChildProcesses, script: string, dir: string, failures: string[]): Promise<void> {
  // Its own guest: one that idles between screen rewrites, as a guest at a prompt does, so the
  // vCPU does not take a core from the five processes a whole-path update crosses.
  const qemu = await startBenchQemu(children, dir, "per-tick");
  const websockifyPort = await freePort();
  children.start("websockify", [`127.0.0.1:${websockifyPort}`, `127.0.0.1:${qemu.vncPort}`]);
  const benchQmp = await QmpClient.connect(qemu.qmpPaths[1]);
  const setup: BrowserPathSetup = { script, dir, qemu, websockifyPort, benchQmp };
  const host = await children.startRole(setup.script, "host", setup.qemu.qmpPaths[0]);
  const consoleRole = await children.startRole(
    setup.script,
    "console",
    JSON.stringify({ hostUrl: `http://127.0.0.1:${host.port}`, dataDir: setup.dir }),
  );
  const list = paths(setup, host.port, consoleRole.port);
  await waitUntilServed(list);
  const rows: Row[] = list.map((p) => ({ name: p.name, rounds: [], all: [], updateBytes: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of rotate(list, round)) {
      const row = rows[list.indexOf(path)]!;
      let link: Link | undefined;
      try {
        link = await withTimeout(`${path.name}: connect`, 5000, path.open());
        debug(path.name, "bursts");
        const result = await withTimeout(`${path.name}: bursts`, 20_000, measureBursts(link, UPDATES));
        row.rounds.push(percentile(result.rates, 50));
        row.all.push(...result.rates);
        row.updateBytes = result.updateBytes;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      } finally {
        link?.close();
      }
    }
  }
  benchQmp.close();
  report(rows);
}

function report(rows: Row[]): void {
  const [raw] = rows;
  const byName = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
  const median = (r: Row | undefined) => (r ? percentile(r.rounds, 50) : NaN);
  const rawRate = median(raw);
  console.log(`\nWorkload C: whole browser path on a real QEMU 7.2 guest (${raw?.updateBytes ?? 0} bytes per full Raw 32 bpp update),`);
  console.log(`${UPDATES} full non-incremental updates per round, one in flight; burst = update bytes ÷ (last byte − first byte).`);
  console.log("MiB/s is the median of the rounds' medians; p10/p90 over all updates.");
  const widths = [40, 8, 6, 8, 8];
  const pad = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!))).join("  ");
  console.log(pad(["path", "MiB/s", "× raw", "p10", "p90"]));
  for (const row of rows) {
    const rate = median(row);
    console.log(
      pad([row.name, rate.toFixed(0), (rate / rawRate).toFixed(2), percentile(row.all, 10).toFixed(0), percentile(row.all, 90).toFixed(0)]),
    );
  }
  const whole = median(byName("browser URL: "));
  const websockify = median(byName("websockify"));
  const verdict = (ok: boolean) => (ok ? "MET" : "MISSED");
  console.log("\nGoals (workload C):");
  console.log(
    `  whole path ≥ ${GOAL_VS_RAW}× raw TCP burst: ${verdict(whole / rawRate >= GOAL_VS_RAW)} (${(whole / rawRate).toFixed(2)}×)`,
  );
  console.log(`  whole path ahead of websockify: ${verdict(whole > websockify)} (${(whole / websockify).toFixed(2)}× websockify)`);
}
