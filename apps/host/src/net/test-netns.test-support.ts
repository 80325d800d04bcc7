/**
 * Network namespaces for tests: made with a per-run prefix, always deleted (after each test file, and
 * on exit if the file dies), with every process still inside them killed first. No test makes a
 * bridge, tap, dnsmasq or nftables rule anywhere else (issue 13's rule).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const PREFIX = `gh-t${process.pid.toString(36)}${randomBytes(2).toString("hex")}`;
const made = new Set<string>();

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Makes `<prefix>-<name>` with its loopback up. */
export function makeNetns(name: string): string {
  const ns = `${PREFIX}-${name}`;
  ip(["netns", "add", ns]);
  made.add(ns);
  ip(["-n", ns, "link", "set", "lo", "up"]);
  return ns;
}

/** Tolerates partial state: a namespace already gone, processes that exit while we kill them. */
export function deleteNetns(ns: string): void {
  let pids: string[] = [];
  try {
    pids = ip(["netns", "pids", ns]).split("\n").filter(Boolean);
  } catch {
    made.delete(ns);
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
  try {
    ip(["netns", "del", ns]);
  } catch {
    // already deleted
  }
  made.delete(ns);
}

export function deleteAllTestNetns(): void {
  for (const ns of [...made]) deleteNetns(ns);
}

process.once("exit", deleteAllTestNetns);

/** `ip` / any command inside a namespace, as an argv array. */
export function inNetns(ns: string, argv: string[]): string {
  const [cmd, ...rest] = argv as [string, ...string[]];
  return execFileSync("ip", ["netns", "exec", ns, cmd, ...rest], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A veth pair between two namespaces, each end with an address. */
export function vethBetween(a: { ns: string; ifname: string; cidr: string }, b: { ns: string; ifname: string; cidr: string }): void {
  ip(["-n", a.ns, "link", "add", a.ifname, "type", "veth", "peer", "name", b.ifname, "netns", b.ns]);
  ip(["-n", a.ns, "addr", "add", a.cidr, "dev", a.ifname]);
  ip(["-n", b.ns, "addr", "add", b.cidr, "dev", b.ifname]);
  ip(["-n", a.ns, "link", "set", a.ifname, "up"]);
  ip(["-n", b.ns, "link", "set", b.ifname, "up"]);
}
