// Where a new VM goes (ADR 0035): the online host, not in maintenance, with the most free RAM
// among those that fit it (RAM, CPUs, its CPU model, KVM for host passthrough, the host its
// networks live on). Or the host the user named, if that one fits. Figures are the last heartbeat's.
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import type { Placement } from "@guesthouse/shared/host-admin-api";

const MIB = 1024 * 1024;

export const PLACEMENT_HOST_SELECT = {
  id: true,
  name: true,
  state: true,
  maintenance: true,
  cores: true,
  memoryFreeBytes: true,
  kvm: true,
  cpuModels: true,
} as const;

type Candidate = {
  id: string;
  name: string;
  state: string;
  maintenance: boolean;
  cores: number;
  memoryFreeBytes: bigint;
  kvm: boolean;
  cpuModels: string[];
};
type Needs = Omit<Placement, "hostId"> & { networkHostIds: string[] };

/** Why `host` cannot take a VM with `needs`, in words, or null when it can. */
export function whyNot(host: Candidate, needs: Needs): string | null {
  if (host.maintenance) return `'${host.name}' is in maintenance`;
  if (host.state !== "online") return `'${host.name}' is ${host.state === "offline" ? "not reporting yet" : host.state}`;
  const freeMiB = Number(host.memoryFreeBytes / BigInt(MIB));
  if (needs.memoryMiB > freeMiB) return `'${host.name}' has ${freeMiB} MiB of RAM free; the VM needs ${needs.memoryMiB} MiB`;
  if (needs.cpus > host.cores) return `'${host.name}' has ${host.cores} CPUs; the VM needs ${needs.cpus}`;
  if (needs.cpuModel === "host" && !host.kvm) return `'${host.name}' has no KVM, which CPU model 'host' needs`;
  if (needs.cpuModel !== "auto" && !host.cpuModels.includes(needs.cpuModel))
    return `'${host.name}' cannot run CPU model '${needs.cpuModel}'`;
  const elsewhere = needs.networkHostIds.filter((id) => id !== host.id);
  if (elsewhere.length) return `'${host.name}' does not have the VM's network${elsewhere.length > 1 ? "s" : ""}`;
  return null;
}

/** The networks' hosts; an unknown network is bad input naming the field. */
async function networkHostIds(db: Db, networkIds: string[]): Promise<string[]> {
  if (networkIds.length === 0) return [];
  const rows = await db.network.findMany({ where: { id: { in: networkIds } }, select: { id: true, hostId: true } });
  const missing = networkIds.find((id) => !rows.some((r) => r.id === id));
  if (missing) throw new TRPCError({ code: "BAD_REQUEST", message: `nics: no network with id '${missing}'` });
  return [...new Set(rows.map((r) => r.hostId))];
}

/** Picks the host for a new VM, or refuses with each host's reason. */
export async function placeVm(db: Db, request: Placement): Promise<{ hostId: string; hostName: string }> {
  const needs: Needs = { ...request, networkHostIds: await networkHostIds(db, request.networkIds) };
  if (request.hostId) {
    const host = await db.host.findUnique({ where: { id: request.hostId }, select: PLACEMENT_HOST_SELECT });
    if (!host) throw new TRPCError({ code: "BAD_REQUEST", message: `hostId: no host with id '${request.hostId}'` });
    const why = whyNot(host, needs);
    if (why) throw new TRPCError({ code: "CONFLICT", message: `The VM cannot go there: ${why}` });
    return { hostId: host.id, hostName: host.name };
  }
  const hosts = await db.host.findMany({ select: PLACEMENT_HOST_SELECT, orderBy: { name: "asc" } });
  if (hosts.length === 0)
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: "No host is registered: start Guesthouse with 'npm run up'" });
  const fits = hosts
    .filter((h) => whyNot(h, needs) === null)
    .sort((a, b) => (b.memoryFreeBytes > a.memoryFreeBytes ? 1 : b.memoryFreeBytes < a.memoryFreeBytes ? -1 : b.cores - a.cores));
  const best = fits[0];
  if (best) return { hostId: best.id, hostName: best.name };
  const reasons = hosts.map((h) => whyNot(h, needs)).join("; ");
  throw new TRPCError({ code: "CONFLICT", message: `No host can take this VM: ${reasons}` });
}
