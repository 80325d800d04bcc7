// Making NIC rows: MACs generated once (unique across the installation, retried on the rare clash),
// models checked against the VM's profile, at most 8 per VM.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Db, Prisma } from "@guesthouse/db";
import { MAX_NICS, PROFILE_NIC_MODELS, randomMac, type NicModel } from "@guesthouse/shared/network";
import { canOnNetwork, type Access } from "./authz.ts";

type Tx = Pick<Db, "nic" | "network">;

export interface NicRequest {
  networkId: string;
  model?: NicModel;
  vlan?: number;
}

/** A MAC no NIC has; 40 random bits make a clash rare, and a clash is retried, never shared. */
export async function freshMac(tx: Pick<Db, "nic">): Promise<string> {
  for (let i = 0; i < 8; i++) {
    const mac = randomMac(randomBytes(5));
    if (!(await tx.nic.findUnique({ where: { mac }, select: { id: true } }))) return mac;
  }
  throw new Error("could not find a free MAC address in 8 tries");
}

export async function nicRows(
  tx: Tx,
  opts: { vmId: string; profile: "modern" | "legacy"; access: Access; requests: readonly NicRequest[]; usedSlots: readonly number[] },
): Promise<Prisma.NicUncheckedCreateInput[]> {
  if (opts.usedSlots.length + opts.requests.length > MAX_NICS) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `nics: a VM has at most ${MAX_NICS} NICs` });
  }
  const allowed: readonly string[] = PROFILE_NIC_MODELS[opts.profile];
  const rows: Prisma.NicUncheckedCreateInput[] = [];
  const used = new Set(opts.usedSlots);
  for (const r of opts.requests) {
    const network = await tx.network.findUnique({ where: { id: r.networkId }, select: { id: true, name: true, kind: true } });
    if (!network) throw new TRPCError({ code: "BAD_REQUEST", message: "networkId: that network does not exist" });
    if (!canOnNetwork(opts.access, "network.use", network.id)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `You need the 'network.use' permission to attach a VM to network '${network.name}'`,
      });
    }
    const model = r.model ?? (allowed[0] as NicModel);
    if (!allowed.includes(model)) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `model: the ${opts.profile} profile offers ${allowed.join(" or ")}, not ${model}`,
      });
    }
    if (r.vlan !== undefined && network.kind !== "bridged") {
      throw new TRPCError({ code: "BAD_REQUEST", message: "vlan: VLAN tags apply only to bridged networks" });
    }
    let slot = 0;
    while (used.has(slot)) slot++;
    used.add(slot);
    rows.push({ vmId: opts.vmId, slot, networkId: network.id, mac: await freshMac(tx), model, vlan: r.vlan ?? null });
  }
  return rows;
}
