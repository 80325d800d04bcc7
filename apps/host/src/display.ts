/**
 * `GET /display/:vmId` upgrade: the console's display proxy reaches a guest's VNC socket here.
 * Authenticated with the host token; the RFB-aware pipe comes from @guesthouse/rfb.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { DISPLAY_WEBSOCKET_OPTIONS, pipeDisplay, type DisplayPipe, type ViewerMode } from "@guesthouse/rfb";
import { VmIdSchema } from "@guesthouse/shared/vm";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { bearerToken, tokenMatches } from "./auth.ts";
import type { HostService } from "./service.ts";

const PATH = /^\/display\/([^/?#]+)$/;

/** Where a VM's screen is: its VNC unix socket, or why it cannot be shown (HTTP status and words). */
export type DisplayTarget = { vncPath: string } | { status: number; text: string };
export type DisplayResolver = (vmId: string) => DisplayTarget;

/** The service's VMs: only a running or paused guest has a screen. */
export function serviceDisplays(service: HostService): DisplayResolver {
  return (vmId) => {
    const rec = service.vms.records.get(vmId);
    if (!rec) return { status: 404, text: "No such VM" };
    if (!rec.instance || (rec.state !== "running" && rec.state !== "paused")) return { status: 409, text: "VM is not running" };
    return { vncPath: service.vncSocketPath(vmId) };
  };
}

/**
 * Joins an accepted WebSocket to the VM's VNC unix socket. `{ path }` rather than a plain
 * socket: the pipe then reads QEMU into 256 KiB buffers (display-socket.ts), so an update
 * crosses as a few large frames, not one per 64 KiB read.
 */
export function attachDisplay(ws: WebSocket, unixSocketPath: string, query: URLSearchParams): DisplayPipe {
  const mode: ViewerMode = query.get("mode") === "control" ? "control" : "view";
  return pipeDisplay({ ws, upstream: { path: unixSocketPath }, mode });
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
    if (!("vncPath" in target)) return refuse(socket, target.status, target.text);
    wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ vmId: id.data }, "display connected");
      attachDisplay(ws, target.vncPath, url.searchParams);
    });
  };
  return { handler, close: () => wss.close() };
}
