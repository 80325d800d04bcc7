// Moving a VM to another host as one journaled task (ADR 0044): a running VM moves live (disks
// mirrored over NBD, RAM over TLS, both host to host), a stopped one cold (its disk files copied).
// The console issues the move's certificates (migration-ca.ts), hands each host the other's
// address, journals every step with the figures `migration.progress` reports, and switches the
// VM's hostId exactly once: when the target runs (or, cold, holds) the guest. A cancel or any
// failure before that leaves the guest running at the source and nothing at the target.
import { randomInt } from "node:crypto";
import type { Db, Prisma } from "@guesthouse/db";
import { hostRefused, hostWentAway } from "@guesthouse/host-client";
import { processWide } from "@guesthouse/shared/process-wide";
import { TRPCError } from "@trpc/server";
import { audit } from "./audit.ts";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { issueMigrationCert, sanOf } from "./migration-ca.ts";
import { runTask, TaskCancelled, type TaskHandle } from "./tasks.ts";
import { vmBus } from "./vm-bus.ts";
import { withHostProgress } from "./host-progress.ts";
import { requestCancel } from "./task-cancel.ts";
import { displayViewers } from "./display/viewers.ts";
import { MOVE_KIND, planMove, type MovePlan } from "./vm-move-plan.ts";

export interface MoveCtx {
  db: Db;
  hosts: HostGateway;
  vm: { id: string; name: string; hostId: string; state: string };
  user: { id: string; email: string };
  ip: string;
}

export interface MoveOptions {
  targetHostId: string;
  /** Bytes per second for RAM and each disk (tests slow a move down to watch or cancel it). */
  maxBandwidth?: number;
  /** The evacuation this move is one step of (its Task.parentId). */
  parentTaskId?: string;
}

/** VMs this console is moving now: a second move of one of them is refused before it is journaled. */
const moving = processWide("vm-moves", () => new Set<string>());
const POLL_MS = 500;
/** The close reason an open display gets at the switch-over; the viewer reconnects straight away on it. */
export const MOVED_REASON = "the VM moved to another host; reconnecting";

export async function moveVm(ctx: MoveCtx, opts: MoveOptions): Promise<{ taskId: string; hostId: string; mode: "live" | "cold" }> {
  if (moving.has(ctx.vm.id))
    throw new TRPCError({ code: "CONFLICT", message: `VM '${ctx.vm.name}' is already being moved; wait for that move or cancel it` });
  moving.add(ctx.vm.id);
  try {
    const plan = await planMove(ctx.db, ctx.vm, opts.targetHostId);
    const [source, target] = await Promise.all([ctx.hosts.forHost(plan.source.id), ctx.hosts.forHost(plan.target.id)]);
    const base = { actorId: ctx.user.id, actorName: ctx.user.email, action: MOVE_KIND, vmId: ctx.vm.id, vmName: ctx.vm.name, ip: ctx.ip };
    const input = { sourceHostId: plan.source.id, targetHostId: plan.target.id, mode: plan.mode } satisfies Prisma.InputJsonValue;
    let taskId = "";
    try {
      await runTask(ctx.db, { kind: MOVE_KIND, vm: ctx.vm, actor: ctx.user, input, parentId: opts.parentTaskId }, async (task) => {
        taskId = task.id;
        const run = { ctx, plan, source, target, task, maxBandwidth: opts.maxBandwidth };
        await (plan.mode === "live" ? moveLive(run) : moveCold(run));
      });
    } catch (error) {
      await audit(ctx.db, {
        ...base,
        outcome: "failure",
        taskId,
        detail: { from: plan.source.name, to: plan.target.name, error: (error as Error).message },
      });
      throw error;
    }
    await audit(ctx.db, { ...base, outcome: "success", taskId, detail: { from: plan.source.name, to: plan.target.name, mode: plan.mode } });
    return { taskId, hostId: plan.target.id, mode: plan.mode };
  } finally {
    moving.delete(ctx.vm.id);
  }
}

/** Stops a move still under way: the guest stays at the source (running, or stopped for a cold move). */
export async function cancelMove(
  db: Db,
  hosts: HostGateway,
  vm: { id: string; name: string; hostId: string },
  by: string,
): Promise<{ taskId: string }> {
  const task = await db.task.findFirst({
    where: { vmId: vm.id, kind: MOVE_KIND, state: "running" },
    select: { id: true, kind: true, vmId: true, hostId: true, input: true },
  });
  if (!task) throw new TRPCError({ code: "CONFLICT", message: `VM '${vm.name}' is not being moved` });
  // As the Tasks panel's Cancel: journaled, then the side that runs it (cold: the target's copy) is asked to stop.
  if (!(await requestCancel(db, hosts, task, by)))
    throw new TRPCError({ code: "CONFLICT", message: `The move of VM '${vm.name}' has no step under way that can be stopped` });
  return { taskId: task.id };
}

interface Run {
  ctx: MoveCtx;
  plan: MovePlan;
  source: HostClient;
  target: HostClient;
  task: TaskHandle;
  maxBandwidth?: number;
}

/** Where each host is reached for the move's data: its HOST_MIGRATION_ADDRESS, else its API URL's host. */
async function addressOf(client: HostClient, url: string): Promise<string> {
  const info = await client.host.info.query();
  return info.migrationAddress ?? new URL(url).hostname.replace(/^\[|\]$/g, "");
}

/** Two ports for one move, in the range Linux leaves to servers (the target listens on both). */
const freshPorts = () => {
  const base = randomInt(40_000, 60_000) & ~1;
  return { migrationPort: base, nbdPort: base + 1 };
};

async function certificates(run: Run, server: { cn: string; addr: string }, client: { cn: string; addr: string }) {
  const dir = run.ctx.hosts.dataDir ?? ".data";
  const [s, c] = await Promise.all([
    issueMigrationCert(dir, { cn: server.cn, names: [sanOf(server.addr)] }),
    issueMigrationCert(dir, { cn: client.cn, names: [sanOf(client.addr)] }),
  ]);
  return { server: s, client: c };
}

/** The one write of the VM's hostId: the target owns the guest from here on. */
export async function switchHost(db: Db, vmId: string, hostId: string, view: { state: string; stateVersion: number }): Promise<void> {
  await db.vm.update({
    where: { id: vmId },
    // The target's own version: its later events compare against it, not against the source's.
    data: { hostId, state: view.state as never, stateReason: "migrated", stateVersion: BigInt(view.stateVersion) },
  });
  vmBus.publish({ type: "host", vmId, hostId, at: Date.now() });
  // Open displays reconnect at once, to the new host (VncViewer.tsx): same mode, so the controller stays one.
  displayViewers.disconnectVm(vmId, MOVED_REASON);
  vmBus.publish({ type: "state", vmId, state: view.state, reason: "migrated", at: Date.now() });
}

type Progress = Awaited<ReturnType<HostClient["migration"]["progress"]["query"]>>;

/** 10–88 % while the disks mirror (first half) and RAM streams (second half). */
function percentOf(p: Progress): number {
  if (!p.moving) return 10;
  const disk =
    p.disks.reduce((s, d) => s + d.offsetBytes, 0) /
    Math.max(
      1,
      p.disks.reduce((s, d) => s + d.lenBytes, 0),
    );
  if (p.phase === "mirroring") return 10 + 39 * (p.disks.length ? disk : 1);
  const ram = p.ram ? p.ram.transferredBytes / Math.max(1, p.ram.totalBytes) : 0;
  return 50 + 38 * Math.min(1, ram);
}

/** Polls the source's figures into the task until stopped; phase changes go into the log. */
function watch(run: Run): { stop(): Promise<void> } {
  let stopped = false;
  let phase = "";
  const loop = (async () => {
    while (!stopped) {
      const p = await run.source.migration.progress.query({ id: run.ctx.vm.id }).catch(() => null);
      if (stopped) break;
      if (p?.moving) {
        if (p.phase !== phase) {
          phase = p.phase;
          await run.task.log(phase === "mirroring" ? "mirroring the disks to the target" : `source: ${phase}`);
        }
        await run.task.measure(percentOf(p), { phase: p.phase, ram: p.ram, disks: p.disks }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function moveLive(run: Run): Promise<void> {
  const { ctx, plan, source, target, task } = run;
  const id = ctx.vm.id;
  await task.progress(2, `moving live from '${plan.source.name}' to '${plan.target.name}'`);
  const d = await source.migration.describe.query({ id });
  const [sourceAddr, targetAddr] = await Promise.all([addressOf(source, plan.source.url), addressOf(target, plan.target.url)]);
  const tls = await certificates(run, { cn: plan.target.name, addr: targetAddr }, { cn: plan.source.name, addr: sourceAddr });
  const listen = { host: targetAddr, ...freshPorts() };
  await target.migration.prepare.mutate({ id, spec: d.spec, disks: d.disks, listen, tls: tls.server });
  await task.progress(8, `'${plan.target.name}' waits for the VM on ${listen.host} (certificates issued by this console)`);
  const watcher = watch(run);
  let figures: Awaited<ReturnType<HostClient["migration"]["start"]["mutate"]>>;
  try {
    figures = await source.migration.start.mutate({
      id,
      target: listen,
      tls: tls.client,
      ...(run.maxBandwidth ? { maxBandwidth: run.maxBandwidth } : {}),
    });
  } catch (error) {
    await watcher.stop();
    if (hostWentAway(error) && (await settleAtTarget(run, "the source stopped answering after the switch-over"))) throw error;
    await target.migration.abort.mutate({ id }).catch(() => undefined); // it also removes itself once the stream is gone
    const message = (error as Error).message;
    if (/was cancelled/.test(message))
      throw new TaskCancelled(`the move was cancelled; VM '${ctx.vm.name}' keeps running on '${plan.source.name}'`);
    throw error;
  }
  await watcher.stop();
  await task.measure(89, { phase: "switched-over", figures });
  await task.progress(
    89,
    `switched over: QEMU measured ${figures.downtimeMs} ms of downtime; ${figures.ramBytes} bytes of RAM, ${figures.diskBytes} of disk`,
  );
  const view = await finishAtTarget(run);
  await switchHost(ctx.db, id, plan.target.id, view);
  await task.progress(95, `'${plan.target.name}' runs the VM; removing it from '${plan.source.name}'`);
  await releaseSource(run);
}

/**
 * The target runs the guest. If its service refused the call (so it never ran it), the source takes
 * the guest back rather than leave it paused on both; the target's half goes when it answers again
 * (vm-move-reconcile.ts). Any other failure is thrown as it is: the target may have run it.
 */
async function finishAtTarget(run: Run) {
  const { ctx, plan } = run;
  try {
    return await run.target.migration.finish.mutate({ id: ctx.vm.id });
  } catch (error) {
    if (!hostRefused(error)) throw error;
    await run.source.migration.reclaim.mutate({ id: ctx.vm.id });
    await run.task.log(`'${plan.target.name}' did not answer at the switch-over; '${plan.source.name}' runs the VM again`);
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: `'${plan.target.name}' stopped answering before it ran the VM; it runs on at '${plan.source.name}', and the target's half is removed when it answers again`,
    });
  }
}

/** The source's copy goes; if it cannot, the task says so (the guest runs at the target either way). */
async function releaseSource(run: Run): Promise<void> {
  await run.source.migration.release.mutate({ id: run.ctx.vm.id }).then(
    (r) => run.task.log(`'${run.plan.source.name}' let go of the VM (${r.deletedDisks.length} disk file(s) removed)`),
    (err: Error) => run.task.log(`'${run.plan.source.name}' kept its copy of the VM: ${err.message}`),
  );
}

/** The source went away mid-move: if the target holds the whole guest, it runs there. */
async function settleAtTarget(run: Run, why: string): Promise<boolean> {
  const p = await run.target.migration.progress.query({ id: run.ctx.vm.id }).catch(() => null);
  if (!p?.moving || p.role !== "target" || p.phase !== "received") return false;
  const view = await run.target.migration.finish.mutate({ id: run.ctx.vm.id });
  await switchHost(run.ctx.db, run.ctx.vm.id, run.plan.target.id, view);
  await run.task.log(`${why}: '${run.plan.target.name}' had the whole VM and runs it; the source's copy goes when it answers again`);
  return true;
}

async function moveCold(run: Run): Promise<void> {
  const { ctx, plan, source, target, task } = run;
  const id = ctx.vm.id;
  await task.progress(2, `moving stopped from '${plan.source.name}' to '${plan.target.name}' (its disk files are copied)`);
  const d = await source.migration.describe.query({ id });
  const [sourceAddr, targetAddr] = await Promise.all([addressOf(source, plan.source.url), addressOf(target, plan.target.url)]);
  // Cold, the source serves and the target copies: the server certificate is the source's.
  const tls = await certificates(run, { cn: plan.source.name, addr: sourceAddr }, { cn: plan.target.name, addr: targetAddr });
  const listen = { host: sourceAddr, ...freshPorts() };
  await source.migration.coldExport.mutate({ id, listen, tls: tls.server });
  let view;
  try {
    await task.progress(10, `'${plan.target.name}' copies ${d.disks.length} disk file(s)`);
    const copying = target.migration.coldImport.mutate({
      id,
      spec: d.spec,
      source: listen,
      tls: tls.client,
    });
    // The target's qemu-img says how far the copy got; a cancel stops it there (cancelMove).
    view = await withHostProgress(task, target, id, copying, [10, 90]);
  } finally {
    await source.migration.coldExportEnd.mutate({ id }).catch(() => undefined);
  }
  await switchHost(ctx.db, id, plan.target.id, view);
  await task.progress(95, `'${plan.target.name}' has the VM; removing it from '${plan.source.name}'`);
  await source.vm.delete.mutate({ id, deleteDisks: true }).then(
    () => task.log(`'${plan.source.name}' let go of the VM and its disk files`),
    (err: Error) => task.log(`'${plan.source.name}' kept its copy of the VM: ${err.message}`),
  );
}
