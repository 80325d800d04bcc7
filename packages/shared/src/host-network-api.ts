/** Inputs of the host API's network procedures (the console's host client sends these). */
import { z } from "zod";
import { VmIdSchema } from "./vm.ts";
import { HostNetworkSchema, NetworkIdSchema, PortForwardSchema } from "./network.ts";

export const NetworkEnsureInput = z.object({ network: HostNetworkSchema });
export const NetworkRefInput = z.object({ id: NetworkIdSchema });
export const ForwardAddInput = z.object({ network: NetworkIdSchema, forward: PortForwardSchema });
export const ForwardRemoveInput = z.object({
  network: NetworkIdSchema,
  protocol: z.enum(["tcp", "udp"]),
  hostPort: z.int().min(1).max(65535),
});
export const NicLinkInput = z.object({ id: VmIdSchema, slot: z.int().min(0).max(7), up: z.boolean() });
