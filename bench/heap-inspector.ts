// For benches only: what a Node process really keeps, read through its inspector (the Chrome DevTools
// protocol). SIGUSR1 (process._debugProcess) opens the inspector on 127.0.0.1:INSPECT_PORT (anyone
// on this machine could attach while it is open: a bench on a test stack only); each
// reading forces a full garbage collection, then reads the heap in use and counts the live
// http.ServerResponse objects (requests the process still holds). RSS alone is a sawtooth that
// follows V8's collections; the heap after a full collection is what a leak grows.
import { readdir, readFile, readlink } from "node:fs/promises";
import WebSocket from "ws";

export interface HeapReading {
  heapUsedMiB: number;
  externalMiB: number;
  responses: number;
}

const INSPECT_PORT = 9229;
const GROUP = "bench-heap";

export interface HeapInspector {
  /** A full collection, then the heap in use and the live http.ServerResponse objects. */
  read(): Promise<HeapReading>;
  /** Closes the process's inspector again; call it once the workload has stopped. */
  close(): Promise<void>;
}

/**
 * Opens a process's inspector and keeps one session for every reading. Closing the inspector after
 * each reading, so as to read a second process in turn, crashed the console twice (SIGSEGV, Node
 * 20.20) while the soak's workload ran; one session held open through a run has not.
 */
export async function openHeapInspector(pid: number): Promise<HeapInspector> {
  (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
  const socket = new WebSocket(await debuggerUrl());
  await new Promise((ok, fail) => socket.once("open", ok).once("error", fail));
  let nextId = 1;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  socket.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id!);
    if (msg.error) waiter.fail(new Error(msg.error.message));
    else waiter.ok(msg.result);
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((ok, fail) => {
      const id = nextId++;
      pending.set(id, { ok: ok as (v: unknown) => void, fail });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async read() {
      await call("HeapProfiler.collectGarbage");
      const memory = await call<{ result: { value: { heapUsed: number; external: number } } }>("Runtime.evaluate", {
        expression: "process.memoryUsage()",
        returnByValue: true,
      });
      const proto = await call<{ result: { objectId: string } }>("Runtime.evaluate", {
        expression: "require('node:http').ServerResponse.prototype",
        includeCommandLineAPI: true,
        objectGroup: GROUP,
      });
      const live = await call<{ objects: { objectId: string } }>("Runtime.queryObjects", {
        prototypeObjectId: proto.result.objectId,
        objectGroup: GROUP,
      });
      const count = await call<{ result: { value: number } }>("Runtime.callFunctionOn", {
        objectId: live.objects.objectId,
        functionDeclaration: "function () { return this.length; }",
        returnByValue: true,
      });
      // What the inspector handed out would otherwise keep those objects alive for the next reading.
      await call("Runtime.releaseObjectGroup", { objectGroup: GROUP });
      const { heapUsed, external } = memory.result.value;
      return { heapUsedMiB: heapUsed / 2 ** 20, externalMiB: external / 2 ** 20, responses: count.result.value };
    },
    async close() {
      // Closing the inspector ends this session too, so it is closed once this evaluation has returned.
      const close = "((r) => setTimeout(() => r('node:inspector').close(), 0))(require)";
      await call("Runtime.evaluate", { expression: close, includeCommandLineAPI: true });
      await new Promise((ok) => socket.once("close", ok).close());
    },
  };
}

async function debuggerUrl(): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const list = await fetch(`http://127.0.0.1:${INSPECT_PORT}/json/list`)
      .then((r) => r.json() as Promise<{ webSocketDebuggerUrl: string }[]>)
      .catch(() => []);
    if (list[0]) return list[0].webSocketDebuggerUrl;
    if (Date.now() > deadline) throw new Error(`no inspector answered on 127.0.0.1:${INSPECT_PORT} (another process holding the port?)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The pid listening on a TCP port, found through /proc/net/tcp{,6} and the processes' fds. */
export async function pidOnPort(port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"])
    for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && Number.parseInt(f[1]?.split(":").at(-1) ?? "", 16) === port) inodes.add(f[9]!);
    }
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "")) return Number(pid);
    }
  }
  throw new Error(`nothing listens on port ${port}`);
}
