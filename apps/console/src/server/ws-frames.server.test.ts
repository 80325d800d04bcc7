import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameReader, serverCloseFrame } from "./ws-frames.server.ts";

/** A masked client frame, as a browser sends it. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

describe("FrameReader", () => {
  const close = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from("bye")]);
  const stream = Buffer.concat([clientFrame(2, Buffer.alloc(300, 9)), clientFrame(2, Buffer.alloc(0)), clientFrame(8, close)]);

  it("counts payload bytes and reads a masked close frame, however the stream is split", () => {
    for (const step of [1, 3, 7, stream.length]) {
      const reader = new FrameReader();
      for (let at = 0; at < stream.length; at += step) reader.push(stream.subarray(at, at + step));
      assert.equal(reader.payloadBytes, 300);
      assert.deepEqual(reader.close, { code: 1000, reason: "bye" });
      assert.ok(reader.atBoundary);
    }
  });

  it("stops at the end of the frame in progress when asked", () => {
    const reader = new FrameReader();
    reader.push(stream.subarray(0, 10));
    assert.equal(reader.atBoundary, false);
    const end = reader.push(stream.subarray(10), true);
    assert.equal(end, 4 + 4 + 300 - 10);
    assert.ok(reader.atBoundary);
  });

  it("writes a server close frame a reader understands", () => {
    const reader = new FrameReader();
    reader.push(serverCloseFrame(4000, "x".repeat(200)));
    assert.equal(reader.close?.code, 4000);
    assert.equal(reader.close?.reason.length, 123);
  });
});
