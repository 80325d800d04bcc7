import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runAfterHandshake, runFilter } from "./client-stream.test-support.ts";
import { closeReasonOf, MAX_CLOSE_REASON_BYTES } from "./rfb-failure.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

describe("ClientStreamFilter: handshake failures", () => {
  it("refuses RFB 3.3, whose security exchange has no client answer", () => {
    const run = runFilter("control", [m.version("RFB 003.003\n")]);
    assert.deepEqual(run.failure, {
      kind: "policy",
      reason: "refused RFB message: RFB version 003.003 is not supported; use 003.008",
    });
    assert.equal(run.output.length, 0);
    assert.equal(run.filter.phase, "failed");
  });

  it("accepts 3.7, whose client side is the same as 3.8", () => {
    const run = runFilter("control", [m.version("RFB 003.007\n"), m.securityType(1), m.clientInit(1)]);
    assert.equal(run.failure, undefined);
    assert.equal(run.filter.phase, "messages");
  });

  it("names an HTTP request sent to the display socket as malformed", () => {
    const run = runFilter("control", [Buffer.from("GET / HTTP/1.1\r\n")]);
    assert.equal(run.failure?.kind, "protocol");
    assert.equal(run.failure?.reason, 'malformed RFB message: ProtocolVersion "GET / HTTP/1" is not "RFB xxx.yyy\\n"');
  });

  it("refuses VNC authentication: only None is offered by QEMU's unix socket", () => {
    const run = runFilter("control", [m.version(), m.securityType(2)]);
    assert.equal(run.failure?.reason, "refused RFB message: security type 2 (VNC authentication) is not supported; only None (1)");
    assert.deepEqual(run.output, m.version());
  });
});

describe("ClientStreamFilter: malformed messages", () => {
  const cases: Array<[string, Buffer, "protocol" | "policy", string]> = [
    ["unknown type 7", Buffer.from([7, 0, 0, 0]), "protocol", "malformed RFB message: unknown client message type 7"],
    ["type 252 (not a noVNC message)", Buffer.from([252]), "protocol", "malformed RFB message: unknown client message type 252"],
    ["QEMU subtype 9", Buffer.from([255, 9]), "protocol", "malformed RFB message: unknown QEMU client message subtype 9"],
    ["QEMU audio operation 5", Buffer.from([255, 1, 0, 5]), "protocol", "malformed RFB message: unknown QEMU audio operation 5"],
    ["65535 encodings", Buffer.from([2, 0, 0xff, 0xff]), "policy", "refused RFB message: SetEncodings with 65535 encodings exceeds 1024"],
    [
      "a 2 GiB clipboard",
      Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(0x7fffffff)]),
      "policy",
      "refused RFB message: ClientCutText of 2147483647 bytes exceeds 1048576",
    ],
    [
      "the most negative extended-clipboard length",
      Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(0x80000000)]),
      "policy",
      "refused RFB message: ClientCutText of 2147483648 bytes exceeds 1048576",
    ],
    [
      "a 65-byte fence payload",
      Buffer.concat([Buffer.from([248, 0, 0, 0]), u32(0), Buffer.from([65])]),
      "protocol",
      "malformed RFB message: ClientFence payload of 65 bytes exceeds 64",
    ],
  ];
  for (const [what, body, kind, reason] of cases) {
    it(`fails cleanly on ${what}`, () => {
      const run = runAfterHandshake("control", body);
      assert.deepEqual(run.failure, { kind, reason });
      assert.deepEqual(run.output, clientHandshake(1));
      assert.ok(Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES);
    });
  }

  it("honours caller limits", () => {
    const run = runAfterHandshake("control", m.setEncodings([0, 1, 2]), {
      maxEncodings: 2,
    });
    assert.equal(run.failure?.reason, "refused RFB message: SetEncodings with 3 encodings exceeds 2");
  });

  it("forwards valid messages before the bad one, then nothing ever again", () => {
    const fbur = m.framebufferUpdateRequest(true, 0, 0, 1, 1);
    const run = runAfterHandshake("control", Buffer.concat([fbur, Buffer.from([99]), fbur]));
    assert.deepEqual(run.output, Buffer.concat([clientHandshake(1), fbur]));
    const later = run.filter.push(fbur);
    assert.deepEqual(later.forward, []);
    assert.equal(later.failure, run.failure);
  });
});

describe("closeReasonOf", () => {
  it("trims to 123 bytes without splitting a UTF-8 character", () => {
    const reason = closeReasonOf("é".repeat(100));
    assert.ok(Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES);
    assert.ok(reason.endsWith("é..."));
  });
});
