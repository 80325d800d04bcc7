import { ForwardAddInput, ForwardRemoveInput, NetworkEnsureInput, NetworkRefInput } from "@guesthouse/shared/host-network-api";
import { defaultNetworkPlan, hasNetAdmin } from "../net/default-network.ts";
import { hostProcedure, router } from "../trpc.ts";

export const networkRouter = router({
  list: hostProcedure.query(({ ctx }) => ctx.service.networks.list()),
  /** Whether a default NAT network may be made here, and its subnet (ADR 0037); changes nothing. */
  defaultPlan: hostProcedure.query(async ({ ctx }) =>
    defaultNetworkPlan(ctx.service.networks, ctx.service.config.defaultNetwork ?? "auto", await hasNetAdmin()),
  ),
  /** Makes the network as described, or brings an existing one to it; idempotent. */
  ensure: hostProcedure.input(NetworkEnsureInput).mutation(({ ctx, input }) => ctx.service.networks.ensure(input.network)),
  remove: hostProcedure.input(NetworkRefInput).mutation(({ ctx, input }) => ctx.service.removeNetwork(input.id)),
  leases: hostProcedure.input(NetworkRefInput).query(({ ctx, input }) => ctx.service.networks.leases(input.id)),
  /** Every lease the host's dnsmasqs handed out, by MAC. */
  addresses: hostProcedure.query(({ ctx }) => ctx.service.networks.allLeases()),
  addForward: hostProcedure
    .input(ForwardAddInput)
    .mutation(({ ctx, input }) => ctx.service.networks.addForward(input.network, input.forward)),
  removeForward: hostProcedure
    .input(ForwardRemoveInput)
    .mutation(({ ctx, input }) => ctx.service.networks.removeForward(input.network, input.protocol, input.hostPort)),
});
