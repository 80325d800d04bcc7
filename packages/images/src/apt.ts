import { CommandError, run } from "./run.ts";

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" };
// Another apt run (e.g. a provisioning script) may hold the dpkg lock; wait for it instead of failing.
const LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=300"];

let listsRefreshed = false;

/** The one-line error callers show: it names the exact command that fixes the machine. */
export class AptUnavailableError extends Error {
  constructor(what: string, fix: string) {
    super(`${what}; run as root: ${fix}`);
    this.name = "AptUnavailableError";
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** apt reports stale or absent package lists in these ways; only then is `apt-get update` worth it. */
function listsLookStale(err: unknown): boolean {
  return (
    err instanceof CommandError &&
    /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found|Couldn't find any package|No packages found/i.test(
      err.stderr,
    )
  );
}

async function refreshListsOnce(): Promise<boolean> {
  if (listsRefreshed || !isRoot()) return false;
  listsRefreshed = true;
  await run("apt-get", ["update", ...LOCK_WAIT], { env: APT_ENV });
  return true;
}

/** Runs an apt step; on stale lists refreshes them once and retries, else throws the one-line error. */
async function withListRetry(step: () => Promise<unknown>, fix: string): Promise<void> {
  try {
    await step();
    return;
  } catch (err) {
    if (!listsLookStale(err) || !(await refreshListsOnce().catch(() => false))) {
      throw new AptUnavailableError(firstLine(err), fix);
    }
  }
  try {
    await step();
  } catch (err) {
    throw new AptUnavailableError(firstLine(err), fix);
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}

export async function isInstalled(pkg: string): Promise<boolean> {
  try {
    const status = await run("dpkg-query", ["-W", "-f=${Status}", pkg], { env: APT_ENV });
    return status.trim() === "install ok installed";
  } catch {
    return false;
  }
}

/** Installs whichever of `pkgs` are missing; needs root, which is checked before apt is touched. */
export async function ensureInstalled(pkgs: readonly string[], log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const pkg of pkgs) if (!(await isInstalled(pkg))) missing.push(pkg);
  if (missing.length === 0) return;
  const fix = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!isRoot()) throw new AptUnavailableError(`Debian packages missing: ${missing.join(", ")}`, fix);
  log(`installing Debian packages: ${missing.join(" ")}`);
  await withListRetry(() => run("apt-get", ["install", "-y", "--no-install-recommends", ...LOCK_WAIT, ...missing], { env: APT_ENV }), fix);
}

/** Downloads .deb files into `dir` without installing them (no root needed when lists are fresh). */
export async function download(pkgs: readonly string[], dir: string): Promise<void> {
  await withListRetry(() => run("apt-get", ["download", ...pkgs], { cwd: dir, env: APT_ENV }), "apt-get update");
}

/** Parses `apt-cache depends` output for the first versioned package matching `prefix`. */
export function parseDepends(output: string, prefix: string): string | null {
  for (const line of output.split("\n")) {
    const m = /^\s*\|?(?:Pre)?Depends:\s*<?([a-z0-9][a-z0-9.+-]*)>?/.exec(line);
    if (m?.[1]?.startsWith(prefix)) return m[1];
  }
  return null;
}

/** Resolves the versioned kernel package behind the `linux-image-amd64` meta package. */
export async function kernelPackage(meta = "linux-image-amd64"): Promise<string> {
  let out = "";
  await withListRetry(async () => {
    out = await run("apt-cache", ["depends", meta], { env: APT_ENV });
    if (parseDepends(out, "linux-image-") === null) {
      throw new CommandError(`apt-cache depends ${meta}`, 1, "Unable to locate package");
    }
  }, "apt-get update");
  const pkg = parseDepends(out, "linux-image-");
  if (pkg === null) throw new Error(`apt-cache depends ${meta}: no linux-image dependency`);
  return pkg;
}
