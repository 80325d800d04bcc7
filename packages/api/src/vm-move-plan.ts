// Whether a VM may move to a host, checked before anything is journaled or any host is called
// (ADR 0044): the target is another host, known, online, not in maintenance, with room for the VM
// (placement's own checks, ADR 0035), its networks and its ISO; and the VM is not being moved
// already. A refusal names the reason and leaves both hosts as they were.
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import { PLACEMENT_HOST_SELECT, whyNot } from "./placement.ts";

export const MOVE_KIND = "vm.migrate";

export interface MovePlan {
  mode: "live" | "cold";
  source: { id: string; name: string; url: string };
  target: { id: string; name: string; url: string };
}

const conflict = (message: string) => new TRPCError({ code: "CONFLICT", message });

/** What a VM needs of any host it moves to: placement's needs, and the ISO it has attached. */
export interface MoveNeeds {
  memoryMiB: number;
  cpus: number;
  cpuModel: string;
  networkHostIds: string[];
  media: { name: string; hostId: string } | null;
}

export async function moveNeeds(db: Db, vmId: string): Promise<MoveNeeds & { host: MovePlan["source"] }> {
  const row = await db.vm.findUniqueOrThrow({
    where: { id: vmId },
    select: {
      cpus: true,
      memoryMiB: true,
      cpuModel: true,
      media: { select: { name: true, hostId: true } },
      nics: { select: { network: { select: { hostId: true, kind: true } } } },
      host: { select: { id: true, name: true, url: true } },
    },
  });
  const networkHostIds = [...new Set(row.nics.filter((n) => n.network.kind !== "user").map((n) => n.network.hostId))];
  return { memoryMiB: row.memoryMiB, cpus: row.cpus, cpuModel: row.cpuModel ?? "auto", networkHostIds, media: row.media, host: row.host };
}

/** Why a VM with `needs` cannot move to `target` now, in words, or null when it can (no DB reads). */
export function whyNotMove(target: Parameters<typeof whyNot>[0], vmName: string, needs: MoveNeeds): string | null {
  const why = whyNot(target, { ...needs, cpuModel: needs.cpuModel as never, networkIds: [] });
  if (why) return `VM '${vmName}' cannot move there: ${why}`;
  if (needs.media && needs.media.hostId !== target.id)
    return `VM '${vmName}' has the ISO '${needs.media.name}' attached, which '${target.name}' does not have; eject it first`;
  return null;
}

export async function planMove(
  db: Db,
  vm: { id: string; name: string; hostId: string; state: string },
  targetHostId: string,
): Promise<MovePlan> {
  const needs = await moveNeeds(db, vm.id);
  if (targetHostId === vm.hostId) throw conflict(`VM '${vm.name}' is already on host '${needs.host.name}'; choose another host`);
  const target = await db.host.findUnique({ where: { id: targetHostId }, select: { ...PLACEMENT_HOST_SELECT, url: true } });
  if (!target) throw new TRPCError({ code: "BAD_REQUEST", message: `targetHostId: no host with id '${targetHostId}'` });
  const why = whyNotMove(target, vm.name, needs);
  if (why) throw conflict(why);
  const running = await db.task.findFirst({
    where: { vmId: vm.id, kind: MOVE_KIND, state: { in: ["queued", "running"] } },
    select: { id: true },
  });
  if (running) throw conflict(`VM '${vm.name}' is already being moved; wait for that move or cancel it`);
  return {
    mode: vm.state === "stopped" ? "cold" : "live",
    source: needs.host,
    target: { id: target.id, name: target.name, url: target.url },
  };
}
