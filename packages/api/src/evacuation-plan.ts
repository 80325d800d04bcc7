// Where each guest of a host in maintenance goes (ADR 0052). Larger guests are placed first, each
// on the host with the most free RAM *after the moves already planned*: a running guest's memory
// counts against its target from the moment it is planned there, so no target is overfilled even
// though every heartbeat figure predates all the moves. A guest no host can take is refused with
// each host's reason and stays where it is. Moving guests back after maintenance asks the same
// questions of one fixed target each: the host it came from.
import type { Db } from "@guesthouse/db";
import { PLACEMENT_HOST_SELECT } from "./placement.ts";
import { moveNeeds, whyNotMove, type MoveNeeds } from "./vm-move-plan.ts";

const MIB = 1024n * 1024n;

export const EVACUATE_KIND = "host.evacuate";
export const MOVE_BACK_KIND = "host.moveBack";
export const EVACUATION_KINDS = [EVACUATE_KIND, MOVE_BACK_KIND];

export interface PlanGuest {
  id: string;
  name: string;
  state: string;
  needs: MoveNeeds;
  /** Moving back: the only host it may go to. */
  homeHostId?: string;
}

export type PlanHost = Parameters<typeof whyNotMove>[0];

export interface PlannedMove {
  vmId: string;
  vmName: string;
  memoryMiB: number;
  mode: "live" | "cold";
  targetHostId: string;
  targetName: string;
}

export interface RefusedMove {
  vmId: string;
  vmName: string;
  reason: string;
}

export interface EvacuationPlan {
  moves: PlannedMove[];
  refused: RefusedMove[];
}

/** The plan, from figures alone (no DB, no host calls): larger guests first, predicted load per target. */
export function planGuests(guests: PlanGuest[], hosts: PlanHost[]): EvacuationPlan {
  const planned = new Map<string, { ramMiB: number; cpus: number }>(hosts.map((h) => [h.id, { ramMiB: 0, cpus: 0 }]));
  const order = [...guests].sort(
    (a, b) => b.needs.memoryMiB - a.needs.memoryMiB || b.needs.cpus - a.needs.cpus || a.name.localeCompare(b.name),
  );
  const plan: EvacuationPlan = { moves: [], refused: [] };
  for (const g of order) {
    const candidates = hosts.filter((h) => (g.homeHostId ? h.id === g.homeHostId : true));
    const predicted = candidates.map((h) => {
      const load = planned.get(h.id)!;
      const free = h.memoryFreeBytes - BigInt(load.ramMiB) * MIB;
      return { host: { ...h, memoryFreeBytes: free < 0n ? 0n : free }, load };
    });
    const reasons = predicted.map((p) => ({ ...p, why: whyNotMove(p.host, g.name, g.needs) }));
    const fits = reasons
      .filter((r) => r.why === null)
      // Most free RAM after what is planned there; then the fewest planned vCPUs per core.
      .sort((a, b) =>
        b.host.memoryFreeBytes !== a.host.memoryFreeBytes
          ? b.host.memoryFreeBytes > a.host.memoryFreeBytes
            ? 1
            : -1
          : a.load.cpus / Math.max(1, a.host.cores) - b.load.cpus / Math.max(1, b.host.cores),
      );
    const best = fits[0];
    if (!best) {
      const why = reasons.map((r) => r.why!.replace(`VM '${g.name}' cannot move there: `, "")).join("; ");
      plan.refused.push({
        vmId: g.id,
        vmName: g.name,
        reason: why ? `no host can take it: ${why}` : g.homeHostId ? "the host it came from is gone" : "there is no other host",
      });
      continue;
    }
    const running = g.state !== "stopped";
    // A stopped guest takes no RAM at its target until it starts; its CPUs count for the spread all the same.
    if (running) best.load.ramMiB += g.needs.memoryMiB;
    best.load.cpus += g.needs.cpus;
    plan.moves.push({
      vmId: g.id,
      vmName: g.name,
      memoryMiB: g.needs.memoryMiB,
      mode: running ? "live" : "cold",
      targetHostId: best.host.id,
      targetName: best.host.name,
    });
  }
  return plan;
}

/**
 * The plan for emptying `hostId` (direction "evacuate"), or for bringing back the guests it had
 * before its maintenance ("return": VMs elsewhere whose evacuatedFromHostId is it).
 */
export async function planEvacuation(db: Db, hostId: string, direction: "evacuate" | "return"): Promise<EvacuationPlan> {
  const vms = await db.vm.findMany({
    where: direction === "evacuate" ? { hostId } : { evacuatedFromHostId: hostId, hostId: { not: hostId } },
    select: { id: true, name: true, state: true, hostId: true },
    orderBy: { name: "asc" },
  });
  const hosts = await db.host.findMany({
    where: direction === "evacuate" ? { id: { not: hostId } } : { id: hostId },
    select: PLACEMENT_HOST_SELECT,
    orderBy: { name: "asc" },
  });
  // Moving back, the host itself is the target: it must be out of maintenance by then (setMaintenance clears it first).
  const guests = await Promise.all(
    vms.map(async (vm) => ({
      ...vm,
      needs: await moveNeeds(db, vm.id),
      ...(direction === "return" ? { homeHostId: hostId } : {}),
    })),
  );
  return planGuests(guests, hosts);
}
