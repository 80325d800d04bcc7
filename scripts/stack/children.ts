// The long-running services `npm run up` supervises: started as child processes, stopped on exit.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { StackError } from "./env.ts";

export interface Service {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", () =>
      reject(new StackError(`Port ${port} (${what}) is already in use: stop what uses it or set ${envVar} to another port.`)),
    );
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function startService(name: string, argv: string[], env: NodeJS.ProcessEnv, log: (l: string) => void): Service {
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) log(`[${name}] ${line}`);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      // A service that dies, or is stopped by something else, is said so: else its absence is all a user would see.
      if (!stopping) log(`[${name}] exited unasked (${signal ? `signal ${signal}` : `code ${code}`}); see its log above`);
      resolve();
    }),
  );
  return {
    name,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when `url` answers 2xx; rejects if the service exits first or `timeoutMs` passes. */
export async function waitForHttp(service: Service, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null)
      throw new StackError(`${service.name} exited with code ${service.child.exitCode} before it was ready (see its log above).`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new StackError(`${service.name} did not answer on ${url} within ${timeoutMs / 1000} s.`);
}
