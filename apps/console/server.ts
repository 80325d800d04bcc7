// The console's one origin: pages, API, live streams and the display WebSocket on one port
// (docs/decisions/0005-one-origin-custom-server.md), in plain http and https alike (0011).
import type http from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import next from "next";
import { env } from "./src/env.server.ts";
import { handleDisplayUpgrade } from "./src/server/display-upgrade.server.ts";
import { createDualProtocolServer } from "./src/server/dual-protocol.server.ts";
import { log } from "./src/server/log.server.ts";
import { httpsRedirect, REMOTE_ADDRESS_HEADER, TLS_HEADER } from "./src/server/request.server.ts";
import { db, hosts } from "./src/server/db.server.ts";
import { startJobs } from "./src/server/jobs.server.ts";
import { startStateSync } from "./src/server/state-sync.server.ts";
import { startHostHeartbeat } from "./src/server/host-heartbeat.server.ts";
import { loadTls, TlsConfigError } from "./src/server/tls.server.ts";
import { consoleCert } from "./src/server/console-cert.server.ts";
import { handleTrpcUpgrade, serveTrpc, TRPC_PATH, TRPC_WS_PATH } from "./src/server/trpc-http.server.ts";
import { startLiveAccessSweep } from "@guesthouse/api/live-access";

const dev = process.env.NODE_ENV !== "production";
const tls = await loadTls({ certPath: env().TLS_CERT, keyPath: env().TLS_KEY, dataDir: env().GUESTHOUSE_DATA }).catch((error: unknown) => {
  console.error(error instanceof TlsConfigError ? `The console could not start: ${error.message}` : error);
  process.exit(1);
});
consoleCert.sha256 = tls.fingerprint256;
// HSTS only where the browser already came over https; a year, this host only (not subdomains).
const HSTS = "max-age=31536000";

const dual = createDualProtocolServer({
  tls,
  onRequest: (req, res) => {
    const encrypted = stampSocketFacts(req);
    if (encrypted) res.setHeader("Strict-Transport-Security", HSTS);
    const redirect = httpsRedirect(facts(req));
    if (redirect) return void res.writeHead(308, { location: redirect }).end();
    // The API is served here, outside Next's request store (docs/decisions/0061-trpc-outside-next.md).
    if (req.url === TRPC_PATH || req.url?.startsWith(`${TRPC_PATH}/`))
      return void serveTrpc(req, res).catch((error: unknown) => {
        log().error({ err: String(error) }, "an API request failed outside any procedure");
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    void handle(req, res);
  },
});
const server = dual.server;

/**
 * What auth depends on comes from the socket, never from a header the client sent: the peer's
 * address and whether it came over TLS, written over any such headers. Returns the latter.
 */
function stampSocketFacts(req: http.IncomingMessage): boolean {
  const encrypted = Boolean((req.socket as TLSSocket).encrypted);
  req.headers[REMOTE_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
  req.headers[TLS_HEADER] = encrypted ? "1" : "0";
  return encrypted;
}

/** What httpsRedirect needs to know of a request (REQUIRE_HTTPS). */
function facts(req: http.IncomingMessage) {
  const forwardedProto = req.headers["x-forwarded-proto"];
  return {
    encrypted: Boolean((req.socket as TLSSocket).encrypted),
    remoteAddress: req.socket.remoteAddress ?? "",
    host: req.headers.host,
    url: req.url,
    headers: new Headers(typeof forwardedProto === "string" ? { "x-forwarded-proto": forwardedProto } : {}),
  };
}

// Next hooks its dev HMR upgrades onto this server; it emits the upgrades of both protocols.
const app = next({ dev, hostname: "localhost", port: env().PORT, dir: import.meta.dirname, httpServer: server as unknown as http.Server });
const handle = app.getRequestHandler();

try {
  await app.prepare();
} catch (error) {
  console.error(
    `The console could not start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} (run 'npm run build' first?)`,
  );
  process.exit(1);
}

// Nothing a client sends may leave its socket open: a request line `new URL` cannot parse, or a
// display upgrade that fails anywhere, is answered and the socket closed (else it leaks a file
// descriptor to anyone who can connect, signed in or not).
function refuseUpgrade(socket: Duplex, status: string) {
  if (!socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
}

server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on("error", () => socket.destroy());
  // Whoever ends this socket (a refusal here or in the display upgrade, or ws closing it), it is
  // gone a second later, even if the peer never closes its side.
  socket.once("finish", () => setTimeout(() => socket.destroy(), 1000).unref());
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://localhost");
  } catch {
    return refuseUpgrade(socket, "400 Bad Request");
  }
  if (httpsRedirect(facts(req))) return void socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\nuse https");
  if (url.pathname.startsWith("/ws/display/"))
    return void handleDisplayUpgrade(req, socket, head, url).catch((error: unknown) => {
      log().error({ err: String(error) }, "display upgrade failed");
      refuseUpgrade(socket, "500 Internal Server Error");
    });
  if (url.pathname === TRPC_WS_PATH) {
    stampSocketFacts(req);
    return handleTrpcUpgrade(req, socket, head);
  }
  if (dev && url.pathname.startsWith("/_next/")) return; // Next's own HMR listener takes it.
  refuseUpgrade(socket, "404 Not Found");
});

server.once("error", (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `Port ${env().PORT} is already in use: set PORT to another port.`
      : `The console could not listen: ${error.message}`,
  );
  process.exit(1);
});

// Queued work (start at boot). Without the queue the console still serves; start at boot waits for the next start.
const jobs = await startJobs({ connectionString: env().DATABASE_URL, db: db(), hosts: hosts(), log: log().child({ part: "jobs" }) }).catch(
  (err: unknown) => {
    log().error({ err }, "the job queue could not start: start at boot is off until the console starts again");
    return null;
  },
);
const sync = startStateSync();
// Open streams and displays are re-checked against sessions and grants every 2 s (ADR 0062).
const stopLiveAccess = startLiveAccessSweep((err) => log().warn({ err: String(err) }, "live access re-check failed; trying again"));
const heartbeat = startHostHeartbeat({
  onRecovered: (hostId) => sync.resync(hostId),
  autostart: jobs ? (job) => jobs.autostart(job) : undefined,
});
server.listen(env().PORT, () =>
  console.log(
    JSON.stringify({ level: "info", msg: `console listening on http://localhost:${env().PORT} and https://localhost:${env().PORT}` }),
  ),
);

const shutdown = () => {
  sync.stop();
  stopLiveAccess();
  void jobs?.stop();
  heartbeat.stop();
  server.close(() => process.exit(0));
  dual.closeAllConnections();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
