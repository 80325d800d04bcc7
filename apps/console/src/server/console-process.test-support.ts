/**
 * For the fault tests: the console as its own process (`apps/console/server.ts`, the production
 * build `npm test` made), on a database and a host service of the test's own, and a small tRPC
 * client over HTTP that keeps the status code, so a test asserts what a browser would get.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import superjson from "superjson";
import { exited, REPO, TOKEN, until } from "./crash-host.test-support.ts";

export interface TrpcAnswer {
  status: number;
  data?: unknown;
  error?: { message: string; code: string };
  ms: number;
}

export class ConsoleProcess {
  child: ChildProcess | undefined;
  cookie = "";
  constructor(readonly opts: { databaseUrl: string; hostUrl: string; port: number; dataDir: string }) {}
  get url() {
    return `http://127.0.0.1:${this.opts.port}`;
  }
  /** Starts the console; with `crashAt` it kills itself (SIGKILL) at that crash point (packages/shared/src/crash-point.ts). */
  async start(crashAt = ""): Promise<void> {
    this.child = spawn(process.execPath, ["--import", "tsx", join(REPO, "apps/console/server.ts")], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: "production",
        DATABASE_URL: this.opts.databaseUrl,
        HOST_URL: this.opts.hostUrl,
        HOST_TOKEN: TOKEN,
        PORT: String(this.opts.port),
        GUESTHOUSE_DATA: this.opts.dataDir,
        LOG_LEVEL: "silent",
        GUESTHOUSE_CRASH_AT: crashAt,
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await until("the console to answer", async () => (await fetch(`${this.url}/api/health`)).ok, 90_000);
  }
  /** A console restart: stopped (SIGTERM), or killed if `kill`, then started again. */
  async restart(opts: { kill?: boolean; crashAt?: string } = {}): Promise<void> {
    if (this.alive) {
      this.child!.kill(opts.kill ? "SIGKILL" : "SIGTERM");
      await exited(this.child!);
    }
    await this.start(opts.crashAt);
  }
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await exited(this.child);
  }
  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async signIn(email: string, password: string): Promise<void> {
    const response = await fetch(`${this.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize({ email, password })),
    });
    if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
    this.cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  }

  /** One tRPC call over HTTP, as the browser makes it; never throws for an error answer. */
  async call(type: "query" | "mutation", path: string, input: unknown, timeoutMs = 30_000): Promise<TrpcAnswer> {
    const started = Date.now();
    const encoded = JSON.stringify(superjson.serialize(input));
    const response = await fetch(
      type === "query" ? `${this.url}/api/trpc/${path}?input=${encodeURIComponent(encoded)}` : `${this.url}/api/trpc/${path}`,
      {
        method: type === "query" ? "GET" : "POST",
        headers: { cookie: this.cookie, "content-type": "application/json" },
        body: type === "mutation" ? encoded : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      },
    );
    const body = (await response.json()) as {
      result?: { data: { json: unknown; meta?: unknown } };
      error?: { json: { message: string; data: { code: string } } };
    };
    const ms = Date.now() - started;
    if (body.error) return { status: response.status, error: { message: body.error.json.message, code: body.error.json.data.code }, ms };
    return { status: response.status, data: superjson.deserialize(body.result!.data as never), ms };
  }

  /** An upload through the console, as the browser sends it; `midway` runs once the first MiB is sent. */
  upload(name: string, bytes: Buffer, midway?: () => Promise<void>): Promise<{ status: number; body: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}/api/media/upload?name=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { cookie: this.cookie, "content-length": bytes.length, "content-type": "application/octet-stream" },
      });
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, string> }));
      });
      // Once the console has answered, it may reset a request it no longer reads: not a failure.
      req.on("error", (e) => answered || reject(e));
      const first = bytes.subarray(0, 1 << 20);
      req.write(first, () => {
        (midway ?? (async () => {}))()
          .then(() => answered || req.end(bytes.subarray(first.length)))
          .catch(reject);
      });
    });
  }
}

/** QEMU processes of VM `id` on this machine, found by their argv (whatever a host service believes). */
export async function qemuOf(id: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const argv = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (argv.includes("qemu-system") && argv.includes(id)) pids.push(Number(pid));
  }
  return pids;
}
