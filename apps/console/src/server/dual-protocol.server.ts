// One port, plain http and https (docs/decisions/0011-http-and-https.md), as Cockpit's port does:
// the first byte a client sends decides. 0x16 opens a TLS handshake; an HTTP request starts with a
// letter. Both protocols share one request handler, and `server` emits every 'upgrade' (either
// protocol) as an http.Server does, so one listener, ours or Next's dev HMR, sees them all.
import type { RequestListener } from "node:http";
import http from "node:http";
import https from "node:https";
import net from "node:net";

const TLS_HANDSHAKE = 0x16;
// A connection that sends nothing is closed: it holds a socket without ever reaching http's timeouts.
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface DualProtocolServer {
  /** Listen on this one, and listen to its 'upgrade' events (req, socket, head). */
  server: net.Server;
  /** Destroys every open connection (after server.close() stopped accepting new ones). */
  closeAllConnections(): void;
}

export function createDualProtocolServer(opts: { tls: { cert: string; key: string }; onRequest: RequestListener }): DualProtocolServer {
  const plain = http.createServer(opts.onRequest);
  const secure = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, opts.onRequest);
  // A failed handshake (a browser refusing the self-signed certificate) is the client's business.
  secure.on("tlsClientError", (_error, socket) => socket.destroy());

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const dropEarly = () => socket.destroy();
    socket.once("error", dropEarly);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, dropEarly);
    const route = () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.once("readable", route);
      socket.unshift(first);
      socket.removeListener("error", dropEarly);
      socket.setTimeout(0);
      socket.removeListener("timeout", dropEarly);
      (first[0] === TLS_HANDSHAKE ? secure : plain).emit("connection", socket);
    };
    socket.once("readable", route);
  });
  plain.on("upgrade", (...args) => server.emit("upgrade", ...args));
  secure.on("upgrade", (...args) => server.emit("upgrade", ...args));
  // The inner servers never listen themselves; 'listening' is what starts their connection
  // tracking, and with it the headers and request timeouts.
  server.on("listening", () => {
    plain.emit("listening");
    secure.emit("listening");
  });
  server.on("close", () => {
    plain.close();
    secure.close();
  });
  return {
    server,
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
