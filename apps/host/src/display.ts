/**
 * `GET /display/:vmId` upgrade: the console's display proxy reaches a guest's VNC socket here.
 * Authenticated with the host token; the RFB-aware pipe comes from @guesthouse/rfb.
 */
import type { IncomingMessage } from "node:http";
import { createConnection } from "node:net";
import type { Duplex } from "node:stream";
import { DISPLAY_WEBSOCKET_OPTIONS, pipeDisplay, type DisplayPipe, type ViewerMode } from "@guesthouse/rfb";
import { VmIdSchema } from "@guesthouse/shared/vm";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { bearerToken, tokenMatches } from "./auth.ts";
import type { HostService } from "./service.ts";

const PATH = /^\/display\/([^/?#]+)$/;

/** Joins an accepted WebSocket to the VM's VNC unix socket (the lead may swap in a richer proxy). */
export function attachDisplay(ws: WebSocket, unixSocketPath: string, query: URLSearchParams): DisplayPipe {
  const mode: ViewerMode = query.get("mode") === "control" ? "control" : "view";
  return pipeDisplay({ ws, upstream: createConnection(unixSocketPath), mode });
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\n`);
}

export function createDisplayUpgradeHandler(service: HostService, token: string, log: Logger) {
  const wss = new WebSocketServer({ noServer: true, ...DISPLAY_WEBSOCKET_OPTIONS });
  const handler = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://host");
    const match = PATH.exec(url.pathname);
    if (!match) return refuse(socket, 404, "Not Found");
    if (!tokenMatches(bearerToken(req.headers.authorization), token)) return refuse(socket, 401, "Unauthorized");
    const id = VmIdSchema.safeParse(decodeURIComponent(match[1] ?? ""));
    if (!id.success) return refuse(socket, 400, "Bad VM id");
    const rec = service.vms.records.get(id.data);
    if (!rec) return refuse(socket, 404, "No such VM");
    if (!rec.instance || (rec.state !== "running" && rec.state !== "paused")) return refuse(socket, 409, "VM is not running");
    const vnc = service.vncSocketPath(id.data);
    wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ vmId: id.data }, "display connected");
      attachDisplay(ws, vnc, url.searchParams);
    });
  };
  return { handler, close: () => wss.close() };
}
