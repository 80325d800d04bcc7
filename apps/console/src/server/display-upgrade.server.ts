// Browser WebSocket → ticket check → the VM's host display endpoint. The ticket is redeemed before
// anything is forwarded; the host applies the RFB filter for the ticket's mode.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import { audit, displayTickets, displayViewers } from "@guesthouse/api";
import { db } from "./db.server.ts";
import { env } from "../env.server.ts";
import { relayWebSockets } from "./ws-relay.server.ts";

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });

function refuse(socket: Duplex, status: number, reason: string) {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}`);
}

export async function handleDisplayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
  const vmId = url.pathname.slice("/ws/display/".length);
  const redeemed = displayTickets.redeem(url.searchParams.get("ticket"), vmId);
  if (!redeemed.ok) return refuse(socket, 403, redeemed.reason);
  const { ticket } = redeemed;
  const host = await db().host.findUnique({ where: { id: ticket.hostId }, select: { url: true } });
  if (!host) return refuse(socket, 404, "the VM's host is not registered");

  const upstream = new WebSocket(`${host.url.replace(/^http/, "ws")}/display/${encodeURIComponent(vmId)}?mode=${ticket.mode}`, {
    headers: { authorization: `Bearer ${env().HOST_TOKEN}` },
    perMessageDeflate: false,
  });
  upstream.binaryType = "nodebuffer";
  const opened = await new Promise<boolean>((resolve) => {
    // The guest's VNC greets the moment the host connects. Hold its bytes until the browser side is
    // joined, or the greeting is dropped and the viewer waits forever for "RFB 003.008".
    upstream.once("open", () => {
      upstream.pause();
      resolve(true);
    });
    upstream.once("error", () => resolve(false));
    upstream.once("unexpected-response", (_req, res) => {
      res.resume();
      resolve(false);
    });
  });
  if (!opened) return refuse(socket, 502, "the VM's display is not available (is it running?)");

  wss.handleUpgrade(req, socket, head, (browser) => {
    const started = Date.now();
    // Control is handed over: whoever held it is dropped and comes back as a watcher.
    if (ticket.mode === "control") displayViewers.controller(vmId)?.disconnect(`control taken over by ${ticket.userEmail}`);
    const viewer = displayViewers.add({
      vmId,
      userId: ticket.userId,
      userEmail: ticket.userEmail,
      mode: ticket.mode,
      disconnect: (reason) => browser.close(4000, reason.slice(0, 120)),
    });
    relayWebSockets(browser, upstream, (m) => {
      displayViewers.remove(viewer.id);
      void audit(db(), {
        actorId: ticket.userId,
        actorName: ticket.userEmail,
        action: "display.session",
        vmId,
        vmName: ticket.vmName,
        outcome: "success",
        detail: {
          mode: ticket.mode,
          seconds: Math.round((Date.now() - started) / 1000),
          bytesToViewer: m.bytesDown,
          bytesFromViewer: m.bytesUp,
          closeReason: m.reason,
        },
      });
    });
    upstream.resume();
  });
}
