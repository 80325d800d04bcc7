/**
 * Where the host service's network objects live: the machine's own namespace, or (tests, and any
 * operator who wants it) a named one. Every `ip`, `nft`, `sysctl`, dnsmasq and QEMU the service
 * starts goes through `wrap`, so one setting moves all of them (docs/decisions/0021).
 */
import { execFile, spawn } from "node:child_process";

export class NetCommandError extends Error {
  override name = "NetCommandError";
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
  ) {
    super(`${argv.join(" ")} failed: ${stderr.trim().split("\n").slice(-2).join(" | ")}`);
  }
}

export interface NetRunner {
  /** The namespace name, or undefined for the machine's own. */
  readonly netns: string | undefined;
  /** argv (never a shell string) as run in the namespace. */
  wrap(argv: readonly string[]): string[];
  run(argv: readonly string[], opts?: { input?: string }): Promise<string>;
  /** Like run, but a failure answers false instead of throwing. */
  ok(argv: readonly string[]): Promise<boolean>;
}

export function netRunner(netns: string | undefined): NetRunner {
  const wrap = (argv: readonly string[]) => (netns ? ["ip", "netns", "exec", netns, ...argv] : [...argv]);
  const run = (argv: readonly string[], opts: { input?: string } = {}) =>
    new Promise<string>((resolve, reject) => {
      const [cmd, ...args] = wrap(argv) as [string, ...string[]];
      const child = execFile(cmd, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new NetCommandError(argv, stderr || err.message));
        else resolve(stdout);
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  return {
    netns,
    wrap,
    run,
    ok: (argv) =>
      run(argv).then(
        () => true,
        () => false,
      ),
  };
}

/** Starts a long-lived helper (dnsmasq) in the namespace, detached so it outlives a service restart. */
export function spawnDetached(runner: NetRunner, argv: readonly string[], logFd: number): number {
  const [cmd, ...args] = runner.wrap(argv) as [string, ...string[]];
  const child = spawn(cmd, args, { detached: true, shell: false, stdio: ["ignore", logFd, logFd] });
  child.unref();
  if (child.pid === undefined) throw new NetCommandError(argv, "could not be started");
  return child.pid;
}
