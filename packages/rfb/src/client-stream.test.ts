import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SAMPLE_MESSAGES, expectedForward, runFilter, sampleSession, splitAt } from "./client-stream.test-support.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";
import { EXTENDED_CLIPBOARD } from "./set-encodings.ts";

describe("ClientStreamFilter: valid sessions", () => {
  for (const mode of ["control", "view"] as const) {
    it(`${mode} mode forwards the expected bytes in one chunk`, () => {
      const run = runFilter(mode, [sampleSession()]);
      assert.equal(run.failure, undefined);
      assert.deepEqual(run.output, expectedForward(mode));
      assert.equal(run.filter.phase, "messages");
      assert.ok(run.filter.atMessageBoundary);
    });

    it(`${mode} mode gives the same bytes and events for every two-chunk split`, () => {
      const session = sampleSession();
      const whole = runFilter(mode, [session]);
      for (let cut = 0; cut <= session.length; cut++) {
        const split = runFilter(mode, splitAt(session, [cut]));
        assert.deepEqual(split.output, whole.output, `split at byte ${cut}`);
        assert.deepEqual(split.events, whole.events, `split at byte ${cut}`);
      }
    });

    it(`${mode} mode gives the same bytes when fed one byte at a time`, () => {
      const session = sampleSession();
      const offsets = Array.from({ length: session.length - 1 }, (_, i) => i + 1);
      const run = runFilter(mode, splitAt(session, offsets));
      assert.deepEqual(run.output, expectedForward(mode));
    });
  }

  it("forces the ClientInit shared flag on so one viewer cannot evict the others", () => {
    const run = runFilter("control", [clientHandshake(0)]);
    assert.equal(run.output.at(-1), 1);
  });

  it("reports each message with its class and whether it was forwarded", () => {
    const run = runFilter("view", [sampleSession()]);
    const messages = run.events.filter((e) => e.class !== "handshake");
    assert.deepEqual(
      messages.map((e) => [e.name, e.class, e.forwarded, e.bytes]),
      SAMPLE_MESSAGES.map((s) => [s.name, s.input ? "input" : "passive", !s.input, s.bytes.length]),
    );
  });

  it("forwards a chunk of whole allowed messages as one view of the caller's buffer", () => {
    const handshake = runFilter("control", [clientHandshake(0)]).filter;
    const chunk = Buffer.concat([m.setPixelFormat(), m.framebufferUpdateRequest(true, 0, 0, 8, 8)]);
    const result = handshake.push(chunk);
    assert.equal(result.forward.length, 1);
    assert.equal(result.forward[0]?.buffer, chunk.buffer);
    assert.equal(result.forward[0]?.length, chunk.length);
  });
});

describe("ClientStreamFilter: view mode", () => {
  const inputs = SAMPLE_MESSAGES.filter((s) => s.input);
  for (const sample of inputs) {
    it(`drops every byte of ${sample.name} (${sample.bytes.length} bytes) at any split`, () => {
      const fbur = m.framebufferUpdateRequest(true, 0, 0, 16, 16);
      const body = Buffer.concat([fbur, sample.bytes, fbur]);
      const stream = Buffer.concat([clientHandshake(0), body]);
      for (let cut = 0; cut <= stream.length; cut++) {
        const run = runFilter("view", splitAt(stream, [cut]));
        assert.deepEqual(run.output, Buffer.concat([clientHandshake(1), fbur, fbur]));
      }
    });
  }

  it("streams a 1 MiB clipboard in control mode and drops it whole in view mode", () => {
    const text = Buffer.alloc(1024 * 1024, 0x41);
    const stream = Buffer.concat([clientHandshake(0), m.clientCutText(text), m.keyEvent(true, 1)]);
    const offsets = Array.from({ length: Math.floor(stream.length / 4096) }, (_, i) => (i + 1) * 4096);
    const control = runFilter("control", splitAt(stream, offsets));
    assert.deepEqual(control.output, Buffer.concat([clientHandshake(1), stream.subarray(14)]));
    const view = runFilter("view", splitAt(stream, offsets));
    assert.deepEqual(view.output, clientHandshake(1));
  });
});

describe("ClientStreamFilter: SetEncodings", () => {
  it("withholds ExtendedMouseButtons (-316), which would make PointerEvent 7 bytes", () => {
    const run = runFilter("control", [clientHandshake(0), m.setEncodings([16, -316, 0, -258])]);
    assert.deepEqual(run.output, Buffer.concat([clientHandshake(1), m.setEncodings([16, 0, -258])]));
  });
  it("withholds the extended clipboard from a view-only viewer, so QEMU never joins it to the guest's clipboard", () => {
    const asked = [16, EXTENDED_CLIPBOARD, 0, -258];
    const view = runFilter("view", [clientHandshake(0), m.setEncodings(asked)]);
    assert.deepEqual(view.output, Buffer.concat([clientHandshake(1), m.setEncodings([16, 0, -258])]));
    const control = runFilter("control", [clientHandshake(0), m.setEncodings(asked)]);
    assert.deepEqual(control.output, Buffer.concat([clientHandshake(1), m.setEncodings(asked)]));
  });
});

describe("ClientStreamFilter: truncated streams", () => {
  it("forwards nothing of a message cut short and says it is mid-message", () => {
    const key = m.keyEvent(true, 0x61);
    for (let keep = 1; keep < key.length; keep++) {
      const run = runFilter("control", [clientHandshake(0), key.subarray(0, keep)]);
      assert.equal(run.failure, undefined);
      assert.deepEqual(run.output, clientHandshake(1));
      assert.equal(run.filter.atMessageBoundary, false);
    }
  });

  it("completes a message whose size is learnt from its last byte, without waiting for more", () => {
    const audio = m.qemuAudio(0);
    const run = runFilter("control", [clientHandshake(0), audio.subarray(0, 1), audio.subarray(1)]);
    assert.deepEqual(run.output, Buffer.concat([clientHandshake(1), audio]));
    assert.ok(run.filter.atMessageBoundary);
  });

  it("waits for all 12 version bytes before forwarding any", () => {
    const run = runFilter("control", [Buffer.from("RFB 003.00")]);
    assert.equal(run.output.length, 0);
    assert.equal(run.filter.phase, "version");
  });
});
