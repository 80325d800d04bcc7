// Browser WebSocket → ticket check → the VM's host display endpoint. The ticket is redeemed before
// anything is forwarded; the host applies the RFB filter for the ticket's mode.
import { audit } from "@guesthouse/api";
import { liveAccess } from "@guesthouse/api/live-access";
import { db, hosts } from "./db.server.ts";
import { createDisplayBridge } from "./display-bridge.server.ts";

export const handleDisplayUpgrade = createDisplayBridge({
  hostUrl: async (hostId) => (await db().host.findUnique({ where: { id: hostId }, select: { url: true } }))?.url ?? null,
  hostToken: (hostId) => hosts().credential(hostId),
  // A share link's visitor has no session: the link's own expiry and revocation close it instead.
  watch: (ticket, end) =>
    ticket.sessionId
      ? liveAccess.register(
          {
            sessionId: ticket.sessionId,
            userId: ticket.userId,
            permission: ticket.mode === "control" ? "vm.console" : "vm.console.view",
            vmId: ticket.vmId,
            end,
          },
          db(),
        )
      : () => undefined,
  onSessionEnd: (ticket, m, seconds) =>
    void audit(db(), {
      // A share link's viewer has no account: the link is named in the detail instead.
      actorId: ticket.userId || null,
      actorName: ticket.userEmail,
      action: "display.session",
      vmId: ticket.vmId,
      vmName: ticket.vmName,
      outcome: "success",
      detail: {
        mode: ticket.mode,
        ...(ticket.share ? { shareLinkId: ticket.share.linkId } : {}),
        seconds,
        bytesToViewer: m.bytesDown,
        bytesFromViewer: m.bytesUp,
        closeReason: m.reason,
      },
    }),
});
