/**
 * `GET /display/:vmId` upgrade: the console's display proxy reaches a guest's VNC socket here.
 * Authenticated with the host token; the RFB-aware pipe comes from @guesthouse/rfb.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { DISPLAY_WEBSOCKET_OPTIONS, pipeDisplay, type DisplayPipe, type ViewerMode } from "@guesthouse/rfb";
import { addVncClient } from "@guesthouse/qemu/vnc-client";
import { closeDescriptor } from "@guesthouse/qemu/descriptors";
import { VmIdSchema } from "@guesthouse/shared/vm";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { bearerToken, tokenMatches } from "./auth.ts";
import type { HostService } from "./service.ts";

const PATH = /^\/display\/([^/?#]+)$/;

/** How to reach a VM's screen: a new VNC connection's descriptor, or why it cannot be shown (HTTP status and words). */
export type DisplayTarget = { openVnc: () => Promise<number> } | { status: number; text: string };
export type DisplayResolver = (vmId: string) => DisplayTarget;

/** The service's VMs: only a running or paused guest has a screen. */
export function serviceDisplays(service: HostService): DisplayResolver {
  return (vmId) => {
    const rec = service.vms.records.get(vmId);
    if (!rec) return { status: 404, text: "No such VM" };
    const instance = rec.instance;
    if (!instance || (rec.state !== "running" && rec.state !== "paused")) return { status: 409, text: "VM is not running" };
    return { openVnc: () => addVncClient(instance.qmp) };
  };
}

/**
 * Joins an accepted WebSocket to a VNC connection (ADR 0060: QEMU writes into a socket sized for
 * a whole update). The pipe reads it into 256 KiB buffers (display-socket.ts), so an update
 * crosses as a few large frames, not one per 64 KiB read.
 */
export function attachDisplay(ws: WebSocket, vncFd: number, query: URLSearchParams): DisplayPipe {
  const mode: ViewerMode = query.get("mode") === "control" ? "control" : "view";
  return pipeDisplay({ ws, upstream: { fd: vncFd }, mode });
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\n`);
}

export function createDisplayUpgradeHandler(displays: DisplayResolver, token: string, log: Logger) {
  const wss = new WebSocketServer({ noServer: true, ...DISPLAY_WEBSOCKET_OPTIONS });
  const handler = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://host");
    const match = PATH.exec(url.pathname);
    if (!match) return refuse(socket, 404, "Not Found");
    if (!tokenMatches(bearerToken(req.headers.authorization), token)) return refuse(socket, 401, "Unauthorized");
    const id = VmIdSchema.safeParse(decodeURIComponent(match[1] ?? ""));
    if (!id.success) return refuse(socket, 400, "Bad VM id");
    const target = displays(id.data);
    if (!("openVnc" in target)) return refuse(socket, target.status, target.text);
    target.openVnc().then(
      (vncFd) => {
        if (socket.destroyed) return closeDescriptor(vncFd); // the console gave up meanwhile
        wss.handleUpgrade(req, socket, head, (ws) => {
          log.info({ vmId: id.data }, "display connected");
          attachDisplay(ws, vncFd, url.searchParams);
        });
      },
      (error: unknown) => {
        if (socket.destroyed) return;
        log.warn({ vmId: id.data, err: error }, "the VM's display could not be opened");
        refuse(socket, 503, "The VM's display could not be opened");
      },
    );
  };
  return { handler, close: () => wss.close() };
}
