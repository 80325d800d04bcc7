// QEMU, nftables and dnsmasq (virtual networks, docs/decisions/0021), openssl (which makes the
// self-signed certificate), cpio (which the image tests read archives back with), gcc with libc6-dev
// (which compile the demo guest's static clipboard agent) and curl (which reaches a guest's
// forwarded port in tests) are Debian packages, not npm ones: install them when we may (root), otherwise
// say exactly how.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const TOOLS = [
  "qemu-system-x86_64",
  "qemu-img",
  "qemu-storage-daemon",
  "qemu-io",
  "openssl",
  "cpio",
  "gcc",
  "nft",
  "dnsmasq",
  "curl",
] as const;
const PACKAGES = ["qemu-system-x86", "qemu-utils", "openssl", "cpio", "gcc", "libc6-dev", "nftables", "dnsmasq-base", "curl"];

async function missingTools(): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of TOOLS) {
    await run("which", [tool]).catch(() => missing.push(tool));
  }
  return missing;
}

function aptGet(args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.on("error", () => resolve(false));
    child.on("exit", (code) => resolve(code === 0));
  });
}

/** Returns null when QEMU is usable, or the one line that says what to do. */
export async function ensureQemu(log: (line: string) => void): Promise<string | null> {
  let missing = await missingTools();
  if (missing.length === 0) return null;
  const command = `sudo apt-get install -y ${PACKAGES.join(" ")}`;
  if (process.getuid?.() !== 0) return `Debian packages are missing (${missing.join(", ")}): run '${command}', then 'npm run up' again.`;
  log(`Installing ${PACKAGES.join(" ")} with apt-get…`);
  if (!(await aptGet(["install", "-y", "-q", ...PACKAGES]))) {
    await aptGet(["update", "-q"]);
    await aptGet(["install", "-y", "-q", ...PACKAGES]);
  }
  missing = await missingTools();
  return missing.length === 0
    ? null
    : `Debian packages could not be installed (${missing.join(", ")} still missing): run '${command}' and read its error.`;
}
