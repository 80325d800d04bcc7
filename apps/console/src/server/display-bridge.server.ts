// The display upgrade without its wiring: redeem the ticket, open the VM's host display, join the
// two. The database, the environment and the audit log come in as functions, so the benchmark
// (bench/display-path/) runs exactly this code against its own host and guest.
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { displayTickets, type Ticket } from "@guesthouse/api/display/tickets";
import { displayViewers } from "@guesthouse/api/display/viewers";
import { HOST_UNREACHABLE, spliceDisplay, type RelayMetrics } from "./display-splice.server.ts";
import { isWebSocketHandshake, openHostDisplay, ownSwitchingProtocols, switchingProtocols } from "./host-display.server.ts";
import { serverCloseFrame } from "./ws-frames.server.ts";

export interface DisplayBridgeOptions {
  /** The base URL (http://…) of the host service that runs the ticket's VM, or null if unknown. */
  hostUrl(hostId: string): Promise<string | null>;
  /** The bearer token of the VM's host (each joined host has its own, ADR 0034). */
  hostToken(hostId: string): Promise<string> | string;
  /** Once per session, after both sides have closed. */
  onSessionEnd(ticket: Ticket, metrics: RelayMetrics, seconds: number): void;
  /**
   * Keeps a signed-in viewer's access under watch while it is connected (live-access.ts): `end`
   * closes it with the reason. Returns the function that stops watching.
   */
  watch?(ticket: Ticket, end: (reason: string) => void): () => void;
}

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

    if (!isWebSocketHandshake(req.headers)) return refuse(socket, 400, "not a WebSocket handshake");
    const hostSide = await openHostDisplay(
      `${hostUrl}/display/${encodeURIComponent(vmId)}?mode=${ticket.mode}`,
      await options.hostToken(ticket.hostId),
      req.headers,
    );
    if (!hostSide.ok && hostSide.unreachable) {
      // The viewer keeps retrying; it is told why each time, not "the connection dropped".
      socket.write(ownSwitchingProtocols(req.headers));
      socket.end(serverCloseFrame(4000, HOST_UNREACHABLE));
      return;
    }
    if (!hostSide.ok) return refuse(socket, 502, "the VM's display is not available (is it running?)");
    if (socket.destroyed) return void hostSide.socket.destroy();

    const browser = socket as Socket;
    browser.setNoDelay?.(true);
    browser.write(switchingProtocols(hostSide.headers));
    // Bytes that came with either handshake go through the splice like the rest.
    if (head.length > 0) browser.unshift(head);

    const started = Date.now();
    // Control is handed over: whoever held it is dropped and comes back as a watcher.
    if (ticket.mode === "control") displayViewers.controller(vmId)?.disconnect(`control taken over by ${ticket.userEmail}`);
    const viewer = displayViewers.add(
      {
        vmId,
        userId: ticket.userId,
        userEmail: ticket.userEmail,
        mode: ticket.mode,
        shareLinkId: ticket.share?.linkId,
        disconnect: (reason) => splice.close(reason, 4000),
      },
      // A share link's viewers go when the link does, whether anyone is looking at the clock or not.
      ticket.share ? { at: ticket.share.until, reason: "the share link expired" } : undefined,
    );
    const unwatch = options.watch?.(ticket, (reason) => splice.close(reason, 4000));
    const splice = spliceDisplay(browser, hostSide.socket, hostSide.reads, (m) => {
      unwatch?.();
      displayViewers.remove(viewer.id);
      options.onSessionEnd(ticket, m, Math.round((Date.now() - started) / 1000));
    });
  };
}
