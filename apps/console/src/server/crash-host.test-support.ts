/**
 * For crash-points.int.test.ts and autostart.int.test.ts: the host service as its own process (as `npm run up` runs it), which
 * a test can stop, start with a crash point armed, and wait for; and the waiting helpers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { imagesDir, TINY_PROMPT } from "@guesthouse/images";

export const REPO = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));
export const CHILD = fileURLToPath(new URL("./console-crash-child.test-support.ts", import.meta.url));
export const TOKEN = "crash-points-host-token-0123456789";
export const IMAGES = process.env.GUESTHOUSE_DATA ?? join(REPO, ".data");

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The distinct values `read` gives, looked at every 25 ms, until `call` settles (a task's progress while it runs). */
export async function valuesWhile<T>(call: Promise<unknown>, read: () => Promise<T | undefined | null>): Promise<T[]> {
  let settled = false;
  void call.then(
    () => (settled = true),
    () => (settled = true),
  );
  const seen: T[] = [];
  while (!settled) {
    const value = await read();
    if (value !== undefined && value !== null && seen.at(-1) !== value) seen.push(value);
    await new Promise((r) => setTimeout(r, 25)); // the next look, not a wait in place of one
  }
  return seen;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
    s.once("error", fail);
  });
}

export const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok(child.signalCode ?? child.exitCode);
    child.once("exit", (code, signal) => ok(signal ?? code));
  });

/** The host service as `npm run up` runs it: its own process, data folder and port. */
export class HostProcess {
  child: ChildProcess | undefined;
  readonly client: HostClient;
  constructor(
    readonly dataDir: string,
    readonly port: number,
    /** More environment for the service (e.g. GUESTHOUSE_BOOT_ID_FILE). */
    readonly env: Record<string, string> = {},
  ) {
    this.client = createHostClient({ url: this.url, token: TOKEN });
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(crashAt = ""): Promise<void> {
    const env = {
      ...process.env,
      GUESTHOUSE_DATA: this.dataDir,
      HOST_PORT: String(this.port),
      HOST_TOKEN: TOKEN,
      HOST_MEDIA_DIRS: imagesDir(IMAGES),
      LOG_LEVEL: "warn",
      GUESTHOUSE_CRASH_AT: crashAt,
      ...this.env,
    };
    this.child = spawn(process.execPath, ["--import", "tsx", "apps/host/src/main.ts"], {
      cwd: REPO,
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    await until("the host service to answer", () => this.client.host.info.query(), 60_000);
  }
  /** SIGTERM: the service stops, its guests keep running (as on a service restart). */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await exited(this.child);
  }
}

/**
 * The guest's shell answers on its serial console (what only a live, intact guest can do). A fresh
 * boot is waited for until its prompt; a clone from RAM is already sitting at one.
 */
export async function guestAnswers(client: HostClient, vmId: string, fresh = true): Promise<void> {
  const read = async () => Buffer.from((await client.serial.read.query({ id: vmId, maxBytes: 65536 })).base64, "base64").toString();
  if (fresh) await until(`${vmId}'s shell prompt`, async () => (await read()).includes(TINY_PROMPT), 120_000);
  const nonce = Math.floor(Math.random() * 1e6);
  await client.serial.write.mutate({ id: vmId, data: `echo alive-$((${nonce}+1))\n`, encoding: "utf8" });
  await until(`${vmId} to answer`, async () => (await read()).includes(`alive-${nonce + 1}`), 30_000);
}
