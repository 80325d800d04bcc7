// The console's one origin: pages, API, live streams and the display WebSocket on one port
// (docs/decisions/0005-one-origin-custom-server.md).
import http from "node:http";
import next from "next";
import { env } from "./src/env.server.ts";
import { handleDisplayUpgrade } from "./src/server/display-upgrade.server.ts";
import { startStateSync } from "./src/server/state-sync.server.ts";

const dev = process.env.NODE_ENV !== "production";
const app = next({ dev, hostname: "localhost", port: env().PORT, dir: import.meta.dirname });
const handle = app.getRequestHandler();

try {
  await app.prepare();
} catch (error) {
  console.error(
    `The console could not start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} (run 'npm run build' first?)`,
  );
  process.exit(1);
}

const server = http.createServer((req, res) => {
  // The client address the API sees is the socket's, never a header the client sent.
  req.headers["x-gh-remote-address"] = req.socket.remoteAddress ?? "";
  void handle(req, res);
});

server.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname.startsWith("/ws/display/")) return void handleDisplayUpgrade(req, socket, head, url);
  if (dev && url.pathname.startsWith("/_next/")) return; // Next's own HMR listener takes it.
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
});

server.once("error", (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `Port ${env().PORT} is already in use: set PORT to another port.`
      : `The console could not listen: ${error.message}`,
  );
  process.exit(1);
});

const sync = startStateSync();
server.listen(env().PORT, () => console.log(JSON.stringify({ level: "info", msg: `console listening on http://localhost:${env().PORT}` })));

const shutdown = () => {
  sync.stop();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
