// A host's maintenance switch (ADR 0052). On: no new placements, and an evacuation task moves its
// guests to the other hosts. Off: placements again, and with moveBack a second task brings back
// the guests the evacuation took away (each VM's evacuatedFromHostId). Either task is journaled
// here with its plan, then queued (evacuation-queue.ts).
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import type { z } from "zod";
import type { HostMaintenanceInput } from "@guesthouse/shared/host-admin-api";
import { audit } from "./audit.ts";
import type { Context } from "./context.ts";
import { EVACUATION_KINDS } from "./evacuation-plan.ts";
import { activeEvacuation, openEvacuation, type GuestRow } from "./evacuation.ts";
import { queueEvacuation } from "./evacuation-queue.ts";

type Input = z.output<typeof HostMaintenanceInput>;

export async function setMaintenance(ctx: Context, input: Input): Promise<{ ok: true; taskId: string | null }> {
  const user = ctx.user!;
  const host = await ctx.db.host.findUnique({ where: { id: input.hostId }, select: { id: true, name: true } });
  if (!host) throw new TRPCError({ code: "NOT_FOUND", message: `No host with id '${input.hostId}'` });
  if (!input.on && (await activeEvacuation(ctx.db, host.id)))
    throw new TRPCError({ code: "CONFLICT", message: `Host '${host.name}' is being emptied; cancel that first` });
  await ctx.db.host.update({ where: { id: host.id }, data: { maintenance: input.on } });
  let taskId: string | null = null;
  const direction = input.on ? "evacuate" : input.moveBack ? "return" : null;
  if (direction) {
    const holds = await ctx.db.vm.count({
      where: direction === "evacuate" ? { hostId: host.id } : { evacuatedFromHostId: host.id, hostId: { not: host.id } },
    });
    if (holds > 0) {
      const opened = await openEvacuation(ctx.db, {
        hostId: host.id,
        hostName: host.name,
        direction,
        actor: user,
        concurrency: input.concurrency,
        maxBandwidth: input.maxBandwidth,
      });
      taskId = opened.taskId;
    }
  } else if (!input.on) {
    // Leaving maintenance without moving them back: they live where they are now.
    await ctx.db.vm.updateMany({ where: { evacuatedFromHostId: host.id }, data: { evacuatedFromHostId: null } });
  }
  await audit(ctx.db, {
    actorId: user.id,
    actorName: user.email,
    action: "host.maintenance",
    outcome: "success",
    ...(taskId ? { taskId } : {}),
    detail: { hostId: host.id, host: host.name, on: input.on, ...(input.on ? {} : { moveBack: input.moveBack }) },
    ip: ctx.ip,
  });
  if (taskId) await queueEvacuation(ctx.db, ctx.hosts, taskId);
  return { ok: true, taskId };
}

/** The host's latest evacuation or move-back as the Hosts page shows it; null when it never had one. */
export async function evacuationOf(db: Db, hostId: string) {
  const task = await db.task.findFirst({
    where: { hostId, kind: { in: EVACUATION_KINDS } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { id: true, kind: true, state: true, progress: true, error: true, detail: true, log: true, createdAt: true, finishedAt: true },
  });
  if (!task) return null;
  const detail = (task.detail ?? { guests: [], done: 0, total: 0 }) as unknown as { guests: GuestRow[]; done: number; total: number };
  const children = await db.task.findMany({
    where: { parentId: task.id },
    orderBy: { createdAt: "asc" },
    select: { id: true, vmId: true, state: true, progress: true, detail: true },
  });
  const guests = detail.guests.map((g) => {
    const child = children.filter((c) => c.vmId === g.vmId).at(-1);
    const figures = (child?.detail as { figures?: { downtimeMs?: number } } | null)?.figures;
    return {
      ...g,
      taskId: child?.id ?? g.taskId,
      percent: child?.progress ?? (g.state === "moved" ? 100 : 0),
      downtimeMs: figures?.downtimeMs ?? null,
    };
  });
  const log = (task.log as { at: string; line: string }[]).slice(-6);
  return {
    taskId: task.id,
    kind: task.kind,
    state: task.state,
    progress: task.progress,
    error: task.error,
    done: detail.done,
    total: detail.total,
    guests,
    log,
    createdAt: task.createdAt,
    finishedAt: task.finishedAt,
  };
}
