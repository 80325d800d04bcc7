/** One dnsmasq per nat (or DHCP-serving isolated) network: argv, its files, and keeping it alive. */
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { subnetPlan } from "@guesthouse/shared/network";
import { spawnDetached, type NetRunner } from "./netns.ts";

export interface DnsmasqFiles {
  dir: string;
  pidfile: string;
  leases: string;
  hostsFile: string;
  log: string;
}

export function dnsmasqFiles(netDir: string): DnsmasqFiles {
  return {
    dir: netDir,
    pidfile: join(netDir, "dnsmasq.pid"),
    leases: join(netDir, "dnsmasq.leases"),
    hostsFile: join(netDir, "dhcp-hosts"),
    log: join(netDir, "dnsmasq.log"),
  };
}

/** Nothing from /etc/dnsmasq.conf, bound to the bridge alone, its own lease file; foreground for our pid. */
export function dnsmasqArgv(opts: { bridge: string; subnet: string; files: DnsmasqFiles; domain: string }): string[] {
  const plan = subnetPlan(opts.subnet);
  return [
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--strict-order",
    "--bind-interfaces",
    `--interface=${opts.bridge}`,
    "--except-interface=lo",
    `--listen-address=${plan.gateway}`,
    `--pid-file=${opts.files.pidfile}`,
    `--dhcp-leasefile=${opts.files.leases}`,
    `--dhcp-hostsfile=${opts.files.hostsFile}`,
    `--dhcp-range=${plan.dhcpStart},${plan.dhcpEnd},${plan.netmask},1h`,
    "--dhcp-authoritative",
    `--domain=${opts.domain}`,
    "--local-service",
  ];
}

async function readPid(pidfile: string): Promise<number | undefined> {
  const text = await readFile(pidfile, "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Alive and ours: its argv names our pid file (a recycled pid would not). */
export async function runningDnsmasq(files: DnsmasqFiles): Promise<number | undefined> {
  const pid = await readPid(files.pidfile);
  if (pid === undefined) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.split("\0").includes(`--pid-file=${files.pidfile}`) ? pid : undefined;
}

/** Starts dnsmasq unless ours already runs with the same argv (a service restart keeps it and its leases). */
export async function ensureDnsmasq(r: NetRunner, argv: string[], files: DnsmasqFiles): Promise<number> {
  await mkdir(files.dir, { recursive: true });
  await writeFile(join(files.dir, "dnsmasq.argv.json"), JSON.stringify(argv));
  await writeFile(files.hostsFile, "", { flag: "a" });
  const pid = await runningDnsmasq(files);
  if (pid !== undefined) {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean);
    if (JSON.stringify(cmdline.slice(-argv.length + 1)) === JSON.stringify(argv.slice(1))) return pid;
    await stopDnsmasq(files);
  }
  const log = openSync(files.log, "a", 0o600);
  try {
    spawnDetached(r, argv, log);
  } finally {
    closeSync(log);
  }
  return waitForPid(files);
}

async function waitForPid(files: DnsmasqFiles): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const pid = await runningDnsmasq(files);
    if (pid !== undefined) return pid;
    await new Promise((res) => setTimeout(res, 50));
  }
  const log = await readFile(files.log, "utf8").catch(() => "");
  throw new Error(`dnsmasq did not start: ${log.trim().split("\n").slice(-2).join(" | ")}`);
}

export async function stopDnsmasq(files: DnsmasqFiles): Promise<void> {
  const pid = await runningDnsmasq(files);
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && (await runningDnsmasq(files)) !== undefined; i++) await new Promise((res) => setTimeout(res, 30));
  await rm(files.pidfile, { force: true });
}
