// Shared by the load and soak benchmarks: an administrator's session made in the database, the
// console's tRPC over HTTP, tiny-Linux VMs, an RFB viewer through the console's display WebSocket,
// SSE state-stream listeners, and percentiles. Runs against a stack started by `npm run up` (or
// scripts/up.ts on spare ports): CONSOLE_URL, DATABASE_URL.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { createDb, sha256 } from "@guesthouse/db";

export const base = process.env.CONSOLE_URL ?? "http://localhost:3000";
export const db = createDb(process.env.DATABASE_URL!);

export interface Session {
  cookie: string;
  userId: string;
}

export async function adminSession(): Promise<Session> {
  const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  const user = await db.user.create({
    data: { email: `bench-${randomBytes(4).toString("hex")}@bench.local`, name: "bench", passwordHash: "!" },
  });
  await db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
  const token = randomBytes(32).toString("base64url");
  await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 6 * 3_600_000) } });
  return { cookie: `gh_session=${token}`, userId: user.id };
}

export async function mutate<T = Record<string, unknown>>(s: Session, path: string, input: unknown): Promise<T> {
  const res = await fetch(`${base}/api/trpc/${path}`, {
    method: "POST",
    headers: { cookie: s.cookie, origin: base, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

export async function query(s: Session, path: string, input: unknown): Promise<Response> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return fetch(`${base}/api/trpc/${path}${q}`, { headers: { cookie: s.cookie, origin: base } });
}

/** A running tiny-Linux VM made from the boot recipe. */
export async function runningVm(s: Session, name: string): Promise<string> {
  const tpl = await db.template.findFirstOrThrow({ where: { name: { contains: "Tiny Linux" }, onHost: false } });
  const { id } = await mutate<{ id: string }>(s, "vm.create", { name, source: { kind: "template", templateId: tpl.id } });
  await mutate(s, "vm.start", { vmId: id });
  return id;
}

export async function removeVm(s: Session, vmId: string): Promise<void> {
  await mutate(s, "vm.stop", { vmId }).catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    const vm = await db.vm.findUnique({ where: { id: vmId }, select: { state: true } });
    if (!vm || vm.state === "stopped") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await mutate(s, "vm.delete", { vmId, force: true }).catch(() => undefined);
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Bytes from a WebSocket, read in exact amounts whatever the framing. */
function wsReader(ws: WebSocket) {
  const chunks: Buffer[] = [];
  let have = 0;
  let waiting: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  let failed: Error | undefined;
  const pump = () => {
    if (!waiting || have < waiting.n) return;
    const all = Buffer.concat(chunks);
    const out = all.subarray(0, waiting.n);
    chunks.length = 0;
    if (all.length > waiting.n) chunks.push(all.subarray(waiting.n));
    have = all.length - waiting.n;
    const w = waiting;
    waiting = undefined;
    w.resolve(out);
  };
  ws.on("message", (data: Buffer) => {
    chunks.push(data);
    have += data.length;
    pump();
  });
  const fail = (e: Error) => {
    failed = e;
    waiting?.reject(e);
  };
  ws.on("close", (code, reason) => fail(new Error(`display closed (${code} ${reason.toString()})`)));
  ws.on("error", fail);
  return (n: number) =>
    new Promise<Buffer>((resolve, reject) => {
      if (failed) return reject(failed);
      waiting = { n, resolve, reject };
      pump();
    });
}

export interface Viewer {
  /** Full-screen update round trips so far: ms each, and bytes received. */
  latencies: number[];
  bytes: number;
  /** Set when the display ended while the viewer was still reading. */
  error?: string;
  stop(): Promise<void>;
}

/** A view-only noVNC stand-in: asks for a full Raw update, reads it whole, asks again, until stopped. */
export async function viewer(s: Session, vmId: string): Promise<Viewer> {
  const { ticket } = await mutate<{ ticket: string }>(s, "display.viewTicket", { vmId });
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws/display/${vmId}?ticket=${ticket}`, {
    headers: { cookie: s.cookie, origin: base },
  });
  ws.binaryType = "nodebuffer";
  // The reader first: the server's first RFB bytes can arrive in the same read as the 101, and ws
  // emits them before a listener added after 'open' would be in place.
  const read = wsReader(ws);
  await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
  await read(12);
  ws.send(Buffer.from("RFB 003.008\n"));
  await read((await read(1))[0]!);
  ws.send(Buffer.from([1]));
  if ((await read(4)).readUInt32BE(0) !== 0) throw new Error("security handshake failed");
  ws.send(Buffer.from([1]));
  const init = await read(24);
  await read(init.readUInt32BE(20));
  const [width, height, bpp] = [init.readUInt16BE(0), init.readUInt16BE(2), init[4]!];
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  const result: Viewer = { latencies: [], bytes: 0, stop: async () => undefined };
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      ws.send(request);
      for (;;) {
        const type = (await read(1))[0];
        if (type === 2) continue; // Bell
        if (type === 3) {
          await read(3);
          await read((await read(4)).readUInt32BE(0));
          continue;
        }
        if (type !== 0) throw new Error(`unexpected server message ${type}`);
        const rects = (await read(3)).readUInt16BE(1);
        for (let i = 0; i < rects; i++) {
          const head = await read(12);
          const [w, h, enc] = [head.readUInt16BE(4), head.readUInt16BE(6), head.readInt32BE(8)];
          if (enc !== 0) throw new Error(`unexpected encoding ${enc}`);
          const size = (w * h * bpp) / 8;
          if (size) await read(size);
          result.bytes += 12 + size;
        }
        break;
      }
      result.latencies.push(performance.now() - t0);
    }
  })().catch((e: Error) => {
    // The display closing under a viewer is a finding to count, not a crash of the benchmark.
    if (running) result.error = e.message;
  });
  result.stop = async () => {
    running = false;
    ws.close();
    await loop.catch(() => undefined);
  };
  return result;
}

export interface StateListener {
  /** ms from the event's own time to its arrival here, per state event. */
  delays: number[];
  stop(): void;
}

/** One browser's `vm.events` SSE stream. */
export async function stateListener(s: Session): Promise<StateListener> {
  const ac = new AbortController();
  const res = await fetch(`${base}/api/trpc/vm.events`, {
    headers: { cookie: s.cookie, origin: base, accept: "text/event-stream" },
    signal: ac.signal,
  });
  if (!res.ok || !res.body) throw new Error(`vm.events: ${res.status}`);
  const delays: number[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        const event = data ? (JSON.parse(data.slice(6)) as { json?: { type?: string; at?: number } }).json : undefined;
        if (event?.type === "state" && typeof event.at === "number") delays.push(Date.now() - event.at);
      }
    }
  })().catch(() => undefined);
  return { delays, stop: () => ac.abort() };
}
