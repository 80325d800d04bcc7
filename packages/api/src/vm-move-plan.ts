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

export async function planMove(
  db: Db,
  vm: { id: string; name: string; hostId: string; state: string },
  targetHostId: string,
): Promise<MovePlan> {
  const row = await db.vm.findUniqueOrThrow({
    where: { id: vm.id },
    select: {
      cpus: true,
      memoryMiB: true,
      cpuModel: true,
      media: { select: { name: true, hostId: true } },
      nics: { select: { network: { select: { hostId: true, kind: true } } } },
      host: { select: { id: true, name: true, url: true } },
    },
  });
  if (targetHostId === vm.hostId) throw conflict(`VM '${vm.name}' is already on host '${row.host.name}'; choose another host`);
  const target = await db.host.findUnique({ where: { id: targetHostId }, select: { ...PLACEMENT_HOST_SELECT, url: true } });
  if (!target) throw new TRPCError({ code: "BAD_REQUEST", message: `targetHostId: no host with id '${targetHostId}'` });
  const networkHostIds = [...new Set(row.nics.filter((n) => n.network.kind !== "user").map((n) => n.network.hostId))];
  const why = whyNot(target, {
    memoryMiB: row.memoryMiB,
    cpus: row.cpus,
    cpuModel: (row.cpuModel ?? "auto") as never,
    networkIds: [],
    networkHostIds,
  });
  if (why) throw conflict(`VM '${vm.name}' cannot move there: ${why}`);
  if (row.media && row.media.hostId !== target.id) {
    throw conflict(`VM '${vm.name}' has the ISO '${row.media.name}' attached, which '${target.name}' does not have; eject it first`);
  }
  const running = await db.task.findFirst({
    where: { vmId: vm.id, kind: MOVE_KIND, state: { in: ["queued", "running"] } },
    select: { id: true },
  });
  if (running) throw conflict(`VM '${vm.name}' is already being moved; wait for that move or cancel it`);
  return {
    mode: vm.state === "stopped" ? "cold" : "live",
    source: row.host,
    target: { id: target.id, name: target.name, url: target.url },
  };
}
