// The display upgrade without its wiring: redeem the ticket, open the VM's host display, join the
// two. The database, the environment and the audit log come in as functions, so the benchmark
// (bench/display-path/) runs exactly this code against its own host and guest.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import { displayTickets, type Ticket } from "@guesthouse/api/display/tickets";
import { displayViewers } from "@guesthouse/api/display/viewers";
import { relayWebSockets, type RelayMetrics } from "./ws-relay.server.ts";

export interface DisplayBridgeOptions {
  /** The base URL (http://…) of the host service that runs the ticket's VM, or null if unknown. */
  hostUrl(hostId: string): Promise<string | null>;
  hostToken(): string;
  /** Once per session, after both sides have closed. */
  onSessionEnd(ticket: Ticket, metrics: RelayMetrics, seconds: number): void;
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });

function refuse(socket: Duplex, status: number, reason: string) {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}`);
}

export function createDisplayBridge(options: DisplayBridgeOptions) {
  return async function bridge(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const vmId = url.pathname.slice("/ws/display/".length);
    const redeemed = displayTickets.redeem(url.searchParams.get("ticket"), vmId);
    if (!redeemed.ok) return refuse(socket, 403, redeemed.reason);
    const { ticket } = redeemed;
    const hostUrl = await options.hostUrl(ticket.hostId);
    if (!hostUrl) return refuse(socket, 404, "the VM's host is not registered");

    const upstream = new WebSocket(`${hostUrl.replace(/^http/, "ws")}/display/${encodeURIComponent(vmId)}?mode=${ticket.mode}`, {
      headers: { authorization: `Bearer ${options.hostToken()}` },
      perMessageDeflate: false,
    });
    upstream.binaryType = "nodebuffer";
    const opened = await new Promise<boolean>((resolve) => {
      upstream.once("open", () => resolve(true));
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
        options.onSessionEnd(ticket, m, Math.round((Date.now() - started) / 1000));
      });
    });
  };
}
