// A default NAT network, offered once per host wherever the host says it may have one (ADR 0037).
// "Once": the task journal remembers the offer, so an administrator who deletes it is not overruled.
import type { Db } from "@guesthouse/db";
import type { HostGateway } from "./host-gateway.ts";
import { createNetwork } from "./network-create.ts";

export const DEFAULT_NETWORK_NAME = "default";

export type DefaultNetworkOutcome = { made: true; networkId: string; subnet: string } | { made: false; reason: string };

export async function ensureDefaultNetwork(db: Db, hosts: HostGateway, hostId: string): Promise<DefaultNetworkOutcome> {
  const offered = await db.task.findFirst({
    where: { kind: "network.create", hostId, input: { path: ["default"], equals: true }, state: "succeeded" },
    select: { id: true },
  });
  if (offered) return { made: false, reason: "it was made once already" };
  if (await db.network.findFirst({ where: { hostId, isDefault: true }, select: { id: true } })) {
    return { made: false, reason: "the host already has a default network" };
  }
  const plan = await (await hosts.forHost(hostId)).network.defaultPlan.query();
  if (!plan.allowed) return { made: false, reason: plan.reason };
  const taken = await db.network.findUnique({ where: { name: DEFAULT_NETWORK_NAME }, select: { id: true } });
  const name = taken ? `${DEFAULT_NETWORK_NAME}-${hostId.slice(-6)}` : DEFAULT_NETWORK_NAME;
  const { id } = await createNetwork(
    { db, hosts, actor: null },
    hostId,
    { kind: "nat", name, subnet: plan.subnet, isDefault: true },
    {
      default: true,
    },
  );
  return { made: true, networkId: id, subnet: plan.subnet };
}
