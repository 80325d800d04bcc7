// Making a network: the row, its audit line and the host's half, as one task (ADR 0018). Used by
// `network.create` and by the default network the console offers a host once (ADR 0037).
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import { cidrsOverlap, ownedBridgeName, parseCidr } from "@guesthouse/shared/network";
import type { NetworkCreateInput } from "@guesthouse/shared/network-console-api";
import type { z } from "zod";
import { audit } from "./audit.ts";
import type { HostGateway } from "./host-gateway.ts";
import { createId } from "./ids.ts";
import { hostNetworkOf } from "./network-host.ts";
import { runTask } from "./tasks.ts";

export interface NetworkCreateDeps {
  db: Db;
  hosts: HostGateway;
  /** null: the console itself (the default network). */
  actor: { id: string; email: string } | null;
  ip?: string;
}

export async function createNetwork(
  deps: NetworkCreateDeps,
  hostId: string,
  input: z.output<typeof NetworkCreateInput>,
  taskInput: Record<string, string | boolean> = {},
): Promise<{ id: string }> {
  const { db } = deps;
  if (await db.network.findUnique({ where: { name: input.name }, select: { id: true } })) {
    throw new TRPCError({ code: "CONFLICT", message: `name: a network named '${input.name}' already exists` });
  }
  const subnet = "subnet" in input ? input.subnet : undefined;
  if (subnet) {
    const mine = parseCidr(subnet);
    const others = await db.network.findMany({ where: { hostId, subnet: { not: null } }, select: { name: true, subnet: true } });
    const clash = others.find((o) => mine && o.subnet && parseCidr(o.subnet) && cidrsOverlap(mine, parseCidr(o.subnet)!));
    if (clash)
      throw new TRPCError({ code: "BAD_REQUEST", message: `subnet: ${subnet} overlaps network '${clash.name}' (${clash.subnet})` });
  }
  const id = createId();
  const bridge = input.kind === "bridged" ? input.bridge : input.kind === "user" ? null : ownedBridgeName(id);
  const isDefault = input.kind === "nat" && input.isDefault;
  return runTask(
    db,
    { kind: "network.create", hostId, actor: deps.actor, input: { networkId: id, name: input.name, makeDefault: isDefault, ...taskInput } },
    async (task) => {
      const row = await db.$transaction(async (tx) => {
        // Default only once its host has made it (below): a VM made meanwhile must not get a NIC on
        // a bridge that does not exist yet.
        const created = await tx.network.create({
          data: { id, name: input.name, hostId, kind: input.kind, bridge, subnet: subnet ?? null, isDefault: false },
          select: { id: true, kind: true, bridge: true, subnet: true },
        });
        await audit(tx, {
          actorId: deps.actor?.id ?? null,
          actorName: deps.actor?.email ?? "system",
          action: "network.create",
          outcome: "success",
          detail: { name: input.name, kind: input.kind, bridge, subnet: subnet ?? null, ...taskInput },
          ip: deps.ip,
          taskId: task.id,
        });
        return created;
      });
      const realise = hostNetworkOf(row);
      if (realise) {
        await task.progress(50, `making ${realise.kind} network on its host`);
        try {
          await (await deps.hosts.forHost(hostId)).network.ensure.mutate({ network: realise });
        } catch (error) {
          // The host refused (a bridge that is not ours, a subnet the host already uses): nothing stays.
          await db.network.deleteMany({ where: { id } });
          throw error;
        }
      }
      if (isDefault) await makeDefaultNetwork(db, id);
      return { id };
    },
  );
}

/**
 * Its host's one default network, set once the host has made it (here, or when the task is
 * reconciled). Per host: the default network of another host stays its own.
 */
export async function makeDefaultNetwork(db: Db, networkId: string): Promise<void> {
  const row = await db.network.findUnique({ where: { id: networkId }, select: { hostId: true } });
  if (!row) return;
  await db.$transaction([
    db.network.updateMany({ where: { hostId: row.hostId, isDefault: true, NOT: { id: networkId } }, data: { isDefault: false } }),
    db.network.update({ where: { id: networkId }, data: { isDefault: true } }),
  ]);
}
