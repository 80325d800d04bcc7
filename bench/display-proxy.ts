/**
 * Display-path benchmark: our RFB-aware WebSocket proxy against its anchors.
 *
 *   node --import tsx bench/display-proxy.ts        (BENCH_DEBUG=1 for progress)
 *
 * One run, side by side, everything on 127.0.0.1 and unix sockets, < 60 s,
 * stops by itself. This script is the client; it starts itself again as
 * `--role=fake` and `--role=proxy` so that no two measured parties share an
 * event loop; websockify and QEMU are child processes too. The pieces live
 * in packages/rfb/bench/.
 *
 * Workload A (transport): a BENCHMARK FAKE RFB server (not QEMU) streams raw
 *   640x480 updates as fast as the reader takes them, and answers each
 *   FramebufferUpdateRequest with a 20-byte update (the round-trip probe).
 *   Paths: raw TCP (the physical limit), our proxy (ws → pipeDisplay → unix
 *   socket), websockify 0.10 → TCP.
 * Workload B (real QEMU 7.2): one guest whose screen is reachable at once
 *   over a unix socket, TCP and QEMU's own `websocket=`; a 15-byte boot
 *   sector rewrites its 720x400 text screen nonstop. QEMU sends at most one
 *   update per 30 ms refresh tick, so this shows whether a path keeps up with
 *   QEMU, not the path's own ceiling.
 * Workload C (the whole browser path, bench/display-path/): a ticket, the console's WebSocket,
 *   the host's /display and the guest's VNC unix socket, each hop alone too, as burst rates of
 *   full updates against raw TCP, websockify and QEMU's websocket=on.
 *
 * BENCH_WORKLOADS=C (any of A, B, C; default all) runs only some of them.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { DISPLAY_WEBSOCKET_OPTIONS, pipeDisplay } from "@guesthouse/rfb";
import { runFakeRfbServer } from "../packages/rfb/bench/bench-fake-server.ts";
import { openTcp, openWebSocket, type Link } from "../packages/rfb/bench/bench-links.ts";
import { ChildProcesses, cpuSeconds, freePort, startBenchQemu } from "../packages/rfb/bench/bench-processes.ts";
import { printHeader, reportQemu, reportTransport, type QemuSamples, type TransportSamples } from "../packages/rfb/bench/bench-report.ts";
import { debug, sleep, withTimeout } from "../packages/rfb/bench/bench-time.ts";
import { measureQemuRefresh, measureRoundTrips, measureStream } from "../packages/rfb/bench/bench-workloads.ts";
import { runBrowserPathWorkload } from "./display-path/browser-path.ts";
import { runConsoleRole, runHostRole } from "./display-path/roles.ts";

const ROUNDS = 3;
const STREAM_TIMING = { warmupMs: 150, windowMs: 1000 };
const PROBES = { samples: 1200, warmup: 150 };
const QEMU_ROUNDS = 2;
const QEMU_WINDOW_MS = 1000;
const DEADLINE_MS = 150_000;
const WORKLOADS = process.env.BENCH_WORKLOADS ?? "ABC";

/** The system under test, in its own process: production options, control mode. */
function runProxy(targets: Record<string, string>): void {
  const http = createHttpServer();
  const wss = new WebSocketServer({
    server: http,
    ...DISPLAY_WEBSOCKET_OPTIONS,
  });
  wss.on("connection", (ws, request) => {
    const target = new URL(request.url ?? "/", "http://x").searchParams.get("target") ?? "";
    const address = targets[target];
    if (!address) return void ws.close(1008, `unknown target ${target}`);
    // "tcp:PORT" only serves the diagnostic row that separates our code from
    // QEMU's unix-socket output; production always uses the unix socket.
    const upstream = address.startsWith("tcp:") ? connect(Number(address.slice(4)), "127.0.0.1") : { path: address };
    pipeDisplay({ ws, upstream, mode: "control" });
  });
  http.listen(0, "127.0.0.1", () => {
    const { port } = http.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
}

interface Path {
  name: string;
  open: () => Promise<Link>;
  /** The proxy process in the middle, if any, for its CPU cost. */
  pid?: number | undefined;
}

const failures: string[] = [];

/** Opens a fresh connection on `path`, runs one measurement, and never hangs. */
async function attempt<T>(path: Path, what: string, run: (link: Link) => Promise<T>): Promise<T | undefined> {
  let link: Link | undefined;
  try {
    link = await withTimeout(`${path.name}: connect`, 3000, path.open());
    debug(path.name, what);
    return await withTimeout(`${path.name}: ${what}`, 8000, run(link));
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    return undefined;
  } finally {
    link?.close();
  }
}

async function waitUntilReachable(path: Path): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return (await withTimeout(path.name, 3000, path.open())).close();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${path.name} never became reachable: ${String(error)}`);
      await sleep(50);
    }
  }
}

/** Rotating the order each round keeps "who ran right after whom" from favouring a path. */
const rotate = <T>(items: T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);

async function runTransportWorkload(paths: Path[]): Promise<TransportSamples[]> {
  const rows = paths.map(
    (p) =>
      ({
        name: p.name,
        throughput: [],
        rtts: [],
        proxyCpu: [],
      }) as TransportSamples,
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of rotate(paths, round)) {
      const row = rows[paths.indexOf(path)]!;
      const cpuBefore = path.pid ? cpuSeconds(path.pid) : 0;
      const stream = await attempt(path, "stream", (link) => measureStream(link, STREAM_TIMING));
      if (stream) row.throughput.push(stream.mbps);
      if (stream && path.pid) {
        await sleep(100); // websockify reaps its per-connection process
        row.proxyCpu.push({
          cpu: cpuSeconds(path.pid) - cpuBefore,
          bytes: stream.bytes,
        });
      }
      const rtts = await attempt(path, "round trips", (link) => measureRoundTrips(link, PROBES));
      if (rtts) row.rtts.push(...rtts);
    }
  }
  return rows;
}

async function runQemuWorkload(paths: Path[]): Promise<QemuSamples[]> {
  // Lets the guest reach its rewriting loop before anything is measured.
  await attempt(paths[0]!, "warm-up", (link) => measureQemuRefresh(link, QEMU_WINDOW_MS));
  const rows: QemuSamples[] = paths.map((p) => ({ name: p.name, refresh: [] }));
  for (let round = 0; round < QEMU_ROUNDS; round++) {
    for (const path of rotate(paths, round)) {
      const result = await attempt(path, "refresh loop", (link) => measureQemuRefresh(link, QEMU_WINDOW_MS));
      if (result) rows[paths.indexOf(path)]!.refresh.push(result);
    }
  }
  return rows;
}

async function runTransportAndQemuWorkloads(children: ChildProcesses, dir: string): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const fake = await children.startRole(script, "fake", dir);
  const qemu = await startBenchQemu(children, dir);
  const proxy = await children.startRole(
    script,
    "proxy",
    JSON.stringify({
      fake: join(dir, "fake.sock"),
      qemu: qemu.unixPath,
      "qemu-tcp": `tcp:${qemu.vncPort}`,
    }),
  );
  const [websockifyFake, websockifyQemu] = [await freePort(), await freePort()];
  const websockify = children.start("websockify", [`127.0.0.1:${websockifyFake}`, `127.0.0.1:${fake.port}`]);
  children.start("websockify", [`127.0.0.1:${websockifyQemu}`, `127.0.0.1:${qemu.vncPort}`]);
  const viaProxy = (target: string) => () => openWebSocket(`ws://127.0.0.1:${proxy.port}/?target=${target}`);

  const transportPaths: Path[] = [
    { name: "raw TCP (physical limit)", open: () => openTcp(fake.port) },
    {
      name: "our proxy: ws → pipeDisplay → unix",
      open: viaProxy("fake"),
      pid: proxy.pid,
    },
    {
      name: "websockify 0.10 → TCP",
      open: () => openWebSocket(`ws://127.0.0.1:${websockifyFake}/`),
      pid: websockify.pid,
    },
  ];
  const qemuPaths: Path[] = [
    { name: "raw TCP (physical limit)", open: () => openTcp(qemu.vncPort) },
    { name: "our proxy: ws → pipeDisplay → unix", open: viaProxy("qemu") },
    {
      name: "websockify 0.10 → TCP",
      open: () => openWebSocket(`ws://127.0.0.1:${websockifyQemu}/`),
    },
    { name: "(diagnostic) our proxy → TCP", open: viaProxy("qemu-tcp") },
    {
      name: "QEMU websocket=on",
      open: () => openWebSocket(`ws://127.0.0.1:${qemu.wsPort}/`),
    },
  ];
  for (const path of [...transportPaths, ...qemuPaths]) await waitUntilReachable(path);

  if (WORKLOADS.includes("A")) reportTransport(await runTransportWorkload(transportPaths));
  if (WORKLOADS.includes("B")) reportQemu(await runQemuWorkload(qemuPaths));
}

async function runBenchmarks(children: ChildProcesses, dir: string): Promise<void> {
  printHeader(ROUNDS);
  if (/[AB]/.test(WORKLOADS)) {
    await runTransportAndQemuWorkloads(children, dir);
    // Workload B's guest keeps a vCPU busy: it must not run during C.
    children.stopAll();
  }
  if (WORKLOADS.includes("C")) await runBrowserPathWorkload(children, fileURLToPath(import.meta.url), dir, failures);
}

/** The anchors are Debian packages; say so instead of failing obscurely. */
function missingTools(): string[] {
  const tools = ["qemu-system-x86_64", "websockify"];
  const path = (process.env.PATH ?? "").split(":");
  return tools.filter((tool) => !path.some((dir) => existsSync(join(dir, tool))));
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(`missing ${missing.join(", ")}: apt-get install -y qemu-system-x86 websockify`);
    process.exit(1);
  }
  const dir = await mkdtemp(join(tmpdir(), "display-bench-"));
  const children = new ChildProcesses();
  const cleanup = async (): Promise<void> => {
    children.stopAll();
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = setTimeout(() => {
    console.error(`benchmark exceeded ${DEADLINE_MS / 1000} s: stopping`);
    void cleanup().then(() => process.exit(2));
  }, DEADLINE_MS);
  try {
    await runBenchmarks(children, dir);
    if (failures.length > 0) {
      console.log("\nMeasurements that failed (their rows are missing or partial):");
      for (const failure of failures) console.log(`  ${failure}`);
      debug(children.stderr.join("\n"));
    }
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

const role = process.argv.find((a) => a.startsWith("--role="))?.slice("--role=".length);
// A role exits normally when stopped, so `node --cpu-prof` (BENCH_PROFILE) can write its profile.
if (role) process.on("SIGTERM", () => process.exit(0));
const roleArg = process.argv.at(-1) ?? "";
if (role === "fake") runFakeRfbServer(roleArg);
else if (role === "proxy") runProxy(JSON.parse(roleArg) as Record<string, string>);
else if (role === "host") void runHostRole(roleArg);
else if (role === "console") void runConsoleRole(roleArg);
else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
