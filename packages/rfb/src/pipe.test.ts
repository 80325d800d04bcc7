import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SAMPLE_MESSAGES, expectedForward, sampleSession } from "./client-stream.test-support.ts";
import { FAKE_SERVER_HANDSHAKE, FakeDisplayServer } from "./fake-display-server.test-support.ts";
import { ProxyUnderTest, TestViewer, UPSTREAM_KINDS, waitFor } from "./pipe.test-support.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";

for (const upstream of UPSTREAM_KINDS)
  describe(`pipeDisplay (upstream as ${upstream})`, () => {
    let display: FakeDisplayServer;
    let proxy: ProxyUnderTest;

    before(async () => {
      display = await FakeDisplayServer.start();
      proxy = await ProxyUnderTest.start(display.path, upstream);
    });
    after(async () => {
      await proxy.stop();
      await display.stop();
    });

    /** Opens a viewer and waits until the fake server has its connection. */
    async function connectViewer(mode: "view" | "control") {
      const known = display.connections.length;
      const viewer = await new TestViewer(proxy.url, mode).open();
      await waitFor("display connection", () => display.connections.length > known);
      const server = display.connections[known]!;
      return { viewer, server, pipeIndex: proxy.pipes.length - 1 };
    }

    for (const mode of ["control", "view"] as const) {
      it(`${mode}: carries a whole session and reports its metrics on close`, async () => {
        const { viewer, server } = await connectViewer(mode);
        await waitFor("server version", () => viewer.receivedBytes >= 12);
        const session = sampleSession();
        // Sent in odd-sized frames, as a browser may coalesce or split them.
        for (let at = 0; at < session.length; at += 7) viewer.ws.send(session.subarray(at, at + 7));
        const expected = expectedForward(mode);
        await waitFor("forwarded session", () => server.receivedBytes >= expected.length);
        assert.deepEqual(server.received(), expected);
        const update = Buffer.from([0, 0, 0, 1, ...new Array(12).fill(7)]);
        server.socket.write(update);
        const total = FAKE_SERVER_HANDSHAKE.length + update.length;
        await waitFor("update", () => viewer.receivedBytes >= total);
        assert.deepEqual(viewer.received(), Buffer.concat([FAKE_SERVER_HANDSHAKE, update]));

        const closedBefore = proxy.closed.length;
        viewer.ws.close(1000, "bye");
        await waitFor("onClose", () => proxy.closed.length > closedBefore);
        const metrics = proxy.closed.at(-1)!;
        assert.equal(metrics.mode, mode);
        assert.equal(metrics.bytesFromViewer, session.length);
        assert.equal(metrics.bytesToServer, expected.length);
        assert.equal(metrics.bytesToViewer, total);
        assert.equal(metrics.droppedInputMessages, mode === "view" ? SAMPLE_MESSAGES.filter((s) => s.input).length : 0);
        assert.equal(metrics.closeReason, "viewer closed (1000: bye)");
        assert.ok(metrics.endedAt !== null && metrics.endedAt >= metrics.startedAt);
        await waitFor("server side closed", () => server.closed);
      });
    }

    it("closes with 1002 and the reason on a malformed message, and drops the display connection", async () => {
      const { viewer, server } = await connectViewer("control");
      viewer.ws.send(Buffer.concat([clientHandshake(0), Buffer.from([7, 1, 2, 3])]));
      const closed = await viewer.closed;
      assert.deepEqual(closed, {
        code: 1002,
        reason: "malformed RFB message: unknown client message type 7",
      });
      await waitFor("server side closed", () => server.closed);
      assert.deepEqual(server.received(), clientHandshake(1));
    });

    it("closes with 1008 when a length exceeds the caps", async () => {
      const { viewer } = await connectViewer("control");
      viewer.ws.send(Buffer.concat([clientHandshake(0), Buffer.from([2, 0, 0xff, 0xff])]));
      const closed = await viewer.closed;
      assert.deepEqual(closed, {
        code: 1008,
        reason: "refused RFB message: SetEncodings with 65535 encodings exceeds 1024",
      });
    });

    it("closes with 1003 on a text frame", async () => {
      const { viewer } = await connectViewer("control");
      viewer.ws.send("RFB 003.008\n");
      assert.equal((await viewer.closed).code, 1003);
    });

    it("tells the viewer when the display server goes away", async () => {
      const { viewer, server } = await connectViewer("view");
      viewer.ws.send(clientHandshake(0));
      await waitFor("handshake", () => server.receivedBytes >= 14);
      server.socket.end();
      assert.deepEqual(await viewer.closed, {
        code: 1000,
        reason: "display server closed the connection",
      });
      await waitFor("onClose", () => proxy.closed.some((c) => c.closeReason === "display server closed the connection"));
    });

    it("view mode never lets a key reach the server, however the frames are cut", async () => {
      const { viewer, server } = await connectViewer("view");
      const key = m.qemuExtendedKeyEvent(true, 0x61, 0x1e);
      const fbur = m.framebufferUpdateRequest(true, 0, 0, 1, 1);
      const stream = Buffer.concat([clientHandshake(0), key, fbur, key, key, fbur]);
      for (const byte of stream) viewer.ws.send(Buffer.from([byte]));
      const expected = Buffer.concat([clientHandshake(1), fbur, fbur]);
      await waitFor("forwarded", () => server.receivedBytes >= expected.length);
      viewer.ws.close();
      await viewer.closed;
      assert.deepEqual(server.received(), expected);
    });
  });
