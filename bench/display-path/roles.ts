/**
 * The display path's two servers as benchmark roles, each in its own process as in production:
 * the host's `/display/:vm` upgrade handler (apps/host/src/display.ts), which opens each viewer's
 * VNC connection through the benchmark guest's QMP as the host service does (ADR 0060), and the
 * console's ticketed display upgrade
 * (apps/console/src/server/display-bridge.server.ts) on the console's one port, http and https.
 * Both run the production code; only the wiring (no database, a fixed host URL) is the bench's.
 */
import type { AddressInfo } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { pino } from "pino";
import { displayTickets } from "@guesthouse/api/display/tickets";
import { QmpClient } from "@guesthouse/qemu";
import { addVncClient } from "@guesthouse/qemu/vnc-client";
import { createDisplayUpgradeHandler } from "../../apps/host/src/display.ts";
import { createDisplayBridge } from "../../apps/console/src/server/display-bridge.server.ts";
import { createDualProtocolServer } from "../../apps/console/src/server/dual-protocol.server.ts";
import { loadTls } from "../../apps/console/src/server/tls.server.ts";

export const BENCH_VM = "bench-guest";
export const BENCH_HOST_TOKEN = "bench-host-token-".padEnd(48, "x");

function announce(server: { address(): AddressInfo | string | null }): void {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

export async function runHostRole(qmpPath: string): Promise<void> {
  const qmp = await QmpClient.connect(qmpPath);
  const display = createDisplayUpgradeHandler(
    (vmId) => (vmId === BENCH_VM ? { openVnc: () => addVncClient(qmp) } : { status: 404, text: "No such VM" }),
    BENCH_HOST_TOKEN,
    pino({ level: "silent" }),
  );
  const server = createHttpServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", display.handler);
  server.listen(0, "127.0.0.1", () => announce(server));
}

/**
 * The console: display upgrades as server.ts routes them, plus `GET /bench/ticket?mode=` which
 * issues a ticket as the display.ticket procedure would after its permission check.
 */
export async function runConsoleRole(arg: string): Promise<void> {
  const { hostUrl, dataDir } = JSON.parse(arg) as { hostUrl: string; dataDir: string };
  const tls = await loadTls({ dataDir });
  const bridge = createDisplayBridge({
    hostUrl: () => Promise.resolve(hostUrl),
    hostToken: () => BENCH_HOST_TOKEN,
    onSessionEnd: () => {},
  });
  const dual = createDualProtocolServer({
    tls,
    onRequest: (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname !== "/bench/ticket") return void res.writeHead(404).end();
      const mode = url.searchParams.get("mode") === "view" ? "view" : "control";
      const { ticket } = displayTickets.issue({
        userId: "bench-user",
        userEmail: "bench@guesthouse.local",
        vmId: BENCH_VM,
        vmName: BENCH_VM,
        hostId: "bench-host",
        mode,
      });
      res.writeHead(200, { "content-type": "text/plain" }).end(ticket);
    },
  });
  dual.server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/ws/display/")) return void bridge(req, socket, head, url);
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
  });
  dual.server.listen(0, "127.0.0.1", () => announce(dual.server));
}
