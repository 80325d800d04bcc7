// The console's display bridge on real sockets: a ws client stands in for the browser, a ws
// server for the host's /display endpoint. Frames must cross untouched both ways, and the
// console must still close a viewer with a reason, keep the viewer list, and count bytes.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { displayTickets } from "@guesthouse/api/display/tickets";
import { displayViewers } from "@guesthouse/api/display/viewers";
import { createDisplayBridge } from "./display-bridge.server.ts";
import type { RelayMetrics } from "./display-splice.server.ts";

const TOKEN = "t".repeat(40);
const VM = "bridge-vm";

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("display bridge (console ⇄ host, bytes passed through)", () => {
  const hostSide = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const hostHttp = createServer();
  const consoleHttp = createServer();
  const ended: RelayMetrics[] = [];
  const hostSockets: WebSocket[] = [];
  let seenAuth = "";
  let consolePort = 0;

  before(async () => {
    hostHttp.on("upgrade", (req, socket, head) => {
      seenAuth = req.headers.authorization ?? "";
      hostSide.handleUpgrade(req, socket, head, (ws) => {
        hostSockets.push(ws);
        ws.send(Buffer.from("RFB 003.008\n"));
        ws.on("message", (data: Buffer) => {
          if (data.toString() === "refuse") ws.close(1008, "refused RFB message: test");
          else ws.send(Buffer.concat([Buffer.from("echo:"), data]));
        });
      });
    });
    const hostPort = await listen(hostHttp);
    const bridge = createDisplayBridge({
      hostUrl: () => Promise.resolve(`http://127.0.0.1:${hostPort}`),
      hostToken: () => TOKEN,
      onSessionEnd: (_ticket, metrics) => ended.push(metrics),
    });
    consoleHttp.on("upgrade", (req, socket, head) => void bridge(req, socket, head, new URL(req.url ?? "/", "http://x")));
    consolePort = await listen(consoleHttp);
  });
  after(() => {
    hostSide.close();
    hostHttp.close();
    consoleHttp.close();
  });

  async function openViewer(mode: "control" | "view" = "control") {
    const { ticket } = displayTickets.issue({ userId: "u1", userEmail: "u1@x", vmId: VM, vmName: VM, hostId: "h1", mode });
    const ws = new WebSocket(`ws://127.0.0.1:${consolePort}/ws/display/${VM}?ticket=${ticket}`);
    const received: Buffer[] = [];
    ws.on("message", (data: Buffer) => received.push(data));
    await once(ws, "open");
    return { ws, received };
  }

  it("carries frames both ways untouched and gives the host its token", async () => {
    const { ws, received } = await openViewer();
    assert.equal(seenAuth, `Bearer ${TOKEN}`);
    const big = Buffer.alloc(300_000, 7);
    ws.send(Buffer.from("hello"));
    ws.send(big);
    await until("echoes", () => received.length >= 3);
    assert.equal(received[0]!.toString(), "RFB 003.008\n");
    assert.equal(received[1]!.toString(), "echo:hello");
    assert.deepEqual(received[2], Buffer.concat([Buffer.from("echo:"), big]));
    const closed = once(ws, "close");
    ws.close(1000, "bye");
    await closed;
    await until("session end", () => ended.length >= 1);
    assert.equal(ended.at(-1)!.bytesUp, 5 + big.length);
    assert.equal(ended.at(-1)!.bytesDown, 12 + 10 + 5 + big.length);
    assert.equal(ended.at(-1)!.reason, "viewer closed (1000: bye)");
  });

  it("passes the host's refusal, with its code and reason, to the viewer", async () => {
    const { ws } = await openViewer();
    ws.send(Buffer.from("refuse"));
    const [code, reason] = (await once(ws, "close")) as [number, Buffer];
    assert.equal(code, 1008);
    assert.equal(reason.toString(), "refused RFB message: test");
    await until("session end", () => ended.at(-1)?.reason === "refused RFB message: test");
  });

  it("disconnects a viewer with a reason and takes it off the viewer list", async () => {
    const { ws } = await openViewer("view");
    const viewer = displayViewers.forVm(VM).find((v) => v.mode === "view");
    assert.ok(viewer, "the viewer is listed");
    const host = hostSockets.at(-1)!;
    // The host is mid-stream when the admin disconnects: the close must land between frames.
    for (let i = 0; i < 20; i++) host.send(Buffer.alloc(100_000, i));
    displayViewers.get(viewer.id)!.disconnect("disconnected by an administrator");
    const [code, reason] = (await once(ws, "close")) as [number, Buffer];
    assert.equal(code, 4000);
    assert.equal(reason.toString(), "disconnected by an administrator");
    await until("off the list", () => displayViewers.count(VM) === 0);
  });

  it("tells the viewer the host is unreachable when the host's side drops without closing", async () => {
    const { ws, received } = await openViewer("view");
    await until("the greeting", () => received.length >= 1);
    // As a killed host service or a cut network: the TCP connection goes, with no close frame.
    hostSockets.at(-1)!.terminate();
    const [code, reason] = (await once(ws, "close")) as [number, Buffer];
    assert.equal(code, 4000);
    assert.equal(reason.toString(), "the host is unreachable");
    await until("session end", () => ended.at(-1)?.reason === "the host is unreachable");
    await until("off the list", () => displayViewers.count(VM) === 0);
  });

  it("tells a viewer connecting to a host that does not answer that the host is unreachable, in a close frame", async () => {
    // A port nobody listens on any more: the host service is down.
    const gone = createServer();
    const gonePort = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    const bridge = createDisplayBridge({
      hostUrl: () => Promise.resolve(`http://127.0.0.1:${gonePort}`),
      hostToken: () => TOKEN,
      onSessionEnd: () => assert.fail("no session began"),
    });
    const front = createServer();
    front.on("upgrade", (req, socket, head) => void bridge(req, socket, head, new URL(req.url ?? "/", "http://x")));
    const frontPort = await listen(front);
    try {
      const { ticket } = displayTickets.issue({ userId: "u1", userEmail: "u1@x", vmId: VM, vmName: VM, hostId: "h1", mode: "view" });
      const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/ws/display/${VM}?ticket=${ticket}`, ["binary"]);
      const [code, reason] = (await once(ws, "close")) as [number, Buffer];
      assert.equal(code, 4000);
      assert.equal(reason.toString(), "the host is unreachable");
      assert.equal(displayViewers.count(VM), 0, "nobody was listed");
    } finally {
      front.close();
    }
  });

  it("refuses a replayed ticket before reaching the host", async () => {
    const { ticket } = displayTickets.issue({ userId: "u1", userEmail: "u1@x", vmId: VM, vmName: VM, hostId: "h1", mode: "view" });
    displayTickets.redeem(ticket, VM);
    const ws = new WebSocket(`ws://127.0.0.1:${consolePort}/ws/display/${VM}?ticket=${ticket}`);
    const [, response] = (await once(ws, "unexpected-response")) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 403);
  });
});
