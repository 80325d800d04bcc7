// The test stack's host service makes its bridges, taps, dnsmasq and nftables rules inside a network
// namespace of its own (GUESTHOUSE_NETNS, docs/decisions/0021), never in the machine's: every
// network a test makes through the console — the fuzzer's included — lives and dies there.
// Made before the stack starts, removed after it stops, also when the run failed.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestNetns {
  name: string;
  remove(): Promise<void>;
}

/** A fresh namespace with loopback up, or undefined where namespaces cannot be made (not root). */
export async function createTestNetns(portBase: number): Promise<TestNetns | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = `gh-test-${portBase}-${process.pid}`;
  await run("ip", ["netns", "add", name]);
  await run("ip", ["-n", name, "link", "set", "lo", "up"]);
  return {
    name,
    async remove() {
      // The integration files' own namespaces (file-netns.ts) that a killed test process left, then this one.
      await removeFileNetns(name);
      await removeOne(secondHostNetns(name));
      await removeOne(name);
    },
  };
}

const secondHostNetns = (testNetns: string) => `${testNetns}-e2e2`;

/**
 * For the e2e layer's second host (e2e/second-host.spec.ts): a namespace of its own, joined to the
 * test stack's by a veth pair, so guests move between the two hosts as between two machines on a
 * LAN. Named after the test namespace, whose `remove()` deletes it too.
 */
export async function createSecondHostNetns(testNetns: string): Promise<{ name: string; address: string; localAddress: string }> {
  const name = secondHostNetns(testNetns);
  await run("ip", ["netns", "add", name]);
  await run("ip", ["-n", name, "link", "set", "lo", "up"]);
  await run("ip", ["-n", testNetns, "link", "add", "ghmig0", "type", "veth", "peer", "name", "ghmig0", "netns", name]);
  await run("ip", ["-n", testNetns, "addr", "add", "10.79.0.1/24", "dev", "ghmig0"]);
  await run("ip", ["-n", name, "addr", "add", "10.79.0.2/24", "dev", "ghmig0"]);
  await run("ip", ["-n", testNetns, "link", "set", "ghmig0", "up"]);
  await run("ip", ["-n", name, "link", "set", "ghmig0", "up"]);
  return { name, address: "10.79.0.2", localAddress: "10.79.0.1" };
}

/** Removes what the integration files' processes left of their namespaces under `base`. */
export async function removeFileNetns(base: string): Promise<void> {
  const { stdout } = await run("ip", ["netns", "list"]).catch(() => ({ stdout: "" }));
  const left = stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${base}-f`));
  for (const ns of left) await removeOne(ns);
}

async function removeOne(name: string): Promise<void> {
  // What still runs in it (each network's dnsmasq outlives the host service by design) goes first.
  const { stdout } = await run("ip", ["netns", "pids", name]).catch(() => ({ stdout: "" }));
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
  await run("ip", ["netns", "del", name]).catch(() => undefined);
}
