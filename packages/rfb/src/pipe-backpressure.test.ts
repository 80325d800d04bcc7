import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FakeDisplayServer, type FakeDisplayConnection } from "./fake-display-server.test-support.ts";
import { DISPLAY_READ_BYTES } from "./display-socket.ts";
import { ProxyUnderTest, TestViewer, UPSTREAM_KINDS, waitFor } from "./pipe.test-support.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";

const HIGH_WATER = 256 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

const STREAMED = 8 * 1024 * 1024;

/**
 * Waits until the slow path is full: its server wrote nothing while the other viewer received
 * another STREAMED bytes through the same proxy. The yardstick is the other path's progress,
 * not a quiet period on the clock, so a busy machine cannot fake a stall.
 */
async function waitUntilStalled(slow: FakeDisplayConnection, fast: TestViewer): Promise<number> {
  for (let round = 0; round < 50; round++) {
    const flooded = slow.floodedBytes;
    const received = fast.receivedBytes;
    await waitFor("the other viewer streaming", () => fast.receivedBytes - received > STREAMED);
    if (slow.floodedBytes === flooded) return flooded;
  }
  throw new Error(`the slow path never stalled (${slow.floodedBytes} bytes so far)`);
}

for (const upstream of UPSTREAM_KINDS)
  describe(`pipeDisplay back-pressure (upstream as ${upstream})`, () => {
    let display: FakeDisplayServer;
    let proxy: ProxyUnderTest;

    before(async () => {
      display = await FakeDisplayServer.start();
      proxy = await ProxyUnderTest.start(display.path, upstream, HIGH_WATER);
    });
    after(async () => {
      await proxy.stop();
      await display.stop();
    });

    async function floodedViewer() {
      const known = display.connections.length;
      const viewer = await new TestViewer(proxy.url, "view").open();
      await waitFor("display connection", () => display.connections.length > known);
      const server = display.connections[known]!;
      viewer.ws.send(clientHandshake(0));
      await waitFor("handshake", () => server.receivedBytes >= 14);
      return { viewer, server, pipe: proxy.pipes.at(-1)! };
    }

    it("a viewer that stops reading stalls only its own server connection", async () => {
      const slow = await floodedViewer();
      const fast = await floodedViewer();
      slow.viewer.ws.pause(); // stops reading its TCP socket, like a frozen browser tab
      slow.server.flood(CHUNK);
      fast.server.flood(CHUNK);

      const stalledAt = await waitUntilStalled(slow.server, fast.viewer);
      // What the slow path holds is bounded by kernel socket buffers plus our
      // high-water mark, not by how long the server keeps trying.
      assert.ok(stalledAt < 64 * 1024 * 1024, `slow path absorbed ${stalledAt} bytes`);
      // At most one read (and its frame header) past the high-water mark.
      const oneRead = upstream === "path" ? DISPLAY_READ_BYTES : CHUNK.length;
      const peak = slow.pipe.metrics().peakQueuedToViewer;
      assert.ok(peak <= HIGH_WATER + oneRead + 16, `queued ${peak} bytes towards the viewer`);

      const fastBefore = fast.viewer.receivedBytes;
      await waitFor("the other viewer to keep streaming", () => fast.viewer.receivedBytes - fastBefore > STREAMED);
      assert.equal(slow.server.floodedBytes, stalledAt, "the slow path stayed stalled");

      slow.viewer.ws.resume();
      await waitFor("slow path moving again", () => slow.server.floodedBytes > stalledAt + 4 * 1024 * 1024);
      slow.viewer.ws.terminate();
      fast.viewer.ws.terminate();
    });

    it("a display server that stops reading pauses the viewer's WebSocket", async () => {
      const { viewer, server, pipe } = await floodedViewer();
      server.socket.pause();
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => m.framebufferUpdateRequest(true, 0, 0, 8, 8)));
      const batches = 2000; // 20 MB of requests
      for (let i = 0; i < batches; i++) viewer.ws.send(batch);
      // The proxy pauses the viewer's WebSocket when the server's socket refuses more; with the
      // server not reading, nothing drains it, so it stays paused.
      const viewerSide = proxy.sockets.at(-1)!;
      await waitFor("the proxy to pause the viewer's WebSocket", () => viewerSide.isPaused);
      const forwarded = pipe.metrics().bytesToServer;
      assert.ok(forwarded < batches * batch.length, "the proxy stopped taking requests");
      assert.ok(viewer.ws.bufferedAmount > 0, "the backlog stays on the viewer's side");
      assert.ok(pipe.metrics().peakQueuedToServer < 1024 * 1024, `queued ${pipe.metrics().peakQueuedToServer}`);

      server.socket.resume();
      const total = 14 + batches * batch.length;
      await waitFor("every request delivered", () => server.receivedBytes >= total, 20_000);
      assert.equal(server.receivedBytes, total);
      viewer.ws.terminate();
    });
  });
