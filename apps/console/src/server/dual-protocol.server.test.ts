// One port answers plain http and https, requests and upgrades, with the same handlers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { mkdtemp } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { createDualProtocolServer, type DualProtocolServer } from "./dual-protocol.server.ts";
import { loadTls, type TlsMaterial } from "./tls.server.ts";

let tls: TlsMaterial;
let dual: DualProtocolServer;
let port: number;

before(async () => {
  tls = await loadTls({ dataDir: await mkdtemp(path.join(tmpdir(), "gh-dual-")) });
  dual = createDualProtocolServer({
    tls,
    onRequest: (req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => res.end(JSON.stringify({ tls: Boolean((req.socket as TLSSocket).encrypted), body })));
    },
  });
  dual.server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
    const proto = (req.socket as TLSSocket).encrypted ? "tls" : "plain";
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\nX-Proto: ${proto}\r\n\r\n`);
  });
  await new Promise<void>((resolve) => dual.server.listen(0, "127.0.0.1", resolve));
  port = (dual.server.address() as AddressInfo).port;
});

after(() => {
  dual.server.close();
  dual.closeAllConnections();
});

function request(
  mod: typeof http | typeof https,
  opts: https.RequestOptions & { body?: string },
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: "127.0.0.1", port, agent: false, ...opts }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, text: "", headers: res.headers });
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

test("plain http on the port reaches the handler, with the whole body", async () => {
  const r = await request(http, { method: "POST", path: "/x", body: "hello ".repeat(5000) });
  assert.deepEqual(JSON.parse(r.text), { tls: false, body: "hello ".repeat(5000) });
});

test("https on the same port reaches the same handler, and the certificate names localhost", async () => {
  // Verified against the self-signed certificate itself: its SAN must cover the name we used.
  const r = await request(https, { method: "POST", path: "/x", body: "secret", ca: tls.cert, servername: "localhost" });
  assert.deepEqual(JSON.parse(r.text), { tls: true, body: "secret" });
});

test("upgrades (the display WebSocket) reach the one upgrade handler over either protocol", async () => {
  const upgrade = { path: "/ws/display/x", headers: { connection: "Upgrade", upgrade: "test" } };
  assert.equal((await request(http, upgrade)).headers["x-proto"], "plain");
  assert.equal((await request(https, { ...upgrade, ca: tls.cert, servername: "localhost" })).headers["x-proto"], "tls");
});

test("many connections of both kinds in turn keep being told apart", async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 ? request(https, { path: "/", ca: tls.cert, servername: "localhost" }) : request(http, { path: "/" }),
    ),
  );
  assert.deepEqual(
    results.map((r) => (JSON.parse(r.text) as { tls: boolean }).tls),
    Array.from({ length: 20 }, (_, i) => i % 2 === 1),
  );
});
