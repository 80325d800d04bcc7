import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { runFilter, splitAt } from "./client-stream.test-support.ts";
import { MAX_CLOSE_REASON_BYTES } from "./rfb-failure.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";
import { EXTENDED_CLIPBOARD } from "./set-encodings.ts";

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

interface Generated {
  readonly input: boolean;
  readonly bytes: Buffer;
}
const passive = (bytes: Buffer): Generated => ({ input: false, bytes });
const input = (bytes: Buffer): Generated => ({ input: true, bytes });

/** Any message noVNC may send, with arbitrary field values. */
const anyMessage: fc.Arbitrary<Generated> = fc.oneof(
  fc.constant(passive(m.setPixelFormat())),
  // -316 (and, for viewers, the extended clipboard) is rewritten away; unit tests cover that, the model here stays plain.
  fc
    .array(
      s32.filter((e) => e !== -316 && e !== EXTENDED_CLIPBOARD),
      { maxLength: 40 },
    )
    .map((e) => passive(m.setEncodings(e))),
  fc.tuple(fc.boolean(), u16, u16, u16, u16).map(([i, x, y, w, h]) => passive(m.framebufferUpdateRequest(i, x, y, w, h))),
  fc.tuple(fc.boolean(), u32).map(([d, k]) => input(m.keyEvent(d, k))),
  fc.tuple(fc.nat(0x7f), u16, u16).map(([b, x, y]) => input(m.pointerEvent(b, x, y))),
  fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()).map(([t, e]) => input(m.clientCutText(t, e))),
  fc.tuple(fc.boolean(), u16, u16).map(([e, w, h]) => passive(m.enableContinuousUpdates(e, w, h))),
  fc.tuple(u32, fc.uint8Array({ maxLength: 64 })).map(([f, p]) => passive(m.clientFence(f, p))),
  fc.nat(255).map((op) => input(m.xvp(op))),
  fc.tuple(u16, u16, fc.integer({ min: 0, max: 255 })).map(([w, h, n]) => input(m.setDesktopSize(w, h, n))),
  fc.tuple(fc.boolean(), u32, u32).map(([d, k, c]) => input(m.qemuExtendedKeyEvent(d, k, c))),
  fc.constantFrom(0 as const, 1 as const, 2 as const).map((op) => passive(m.qemuAudio(op))),
);

/** Sorted cut points inside a buffer of `length` bytes. */
const cutsFor = (length: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 30 }).map((cuts) => cuts.sort((a, b) => a - b));

describe("ClientStreamFilter properties", () => {
  it("any split of a valid stream forwards exactly the allowed messages", () => {
    const session = fc.tuple(fc.constantFrom("view" as const, "control" as const), fc.array(anyMessage, { maxLength: 25 }));
    const withCuts = session.chain(([mode, messages]) => {
      const stream = Buffer.concat([clientHandshake(0), ...messages.map((x) => x.bytes)]);
      return fc.tuple(fc.constant(mode), fc.constant(messages), fc.constant(stream), cutsFor(stream.length));
    });
    fc.assert(
      fc.property(withCuts, ([mode, messages, stream, cuts]) => {
        const run = runFilter(mode, splitAt(stream, cuts));
        const kept = messages.filter((x) => mode === "control" || !x.input);
        assert.equal(run.failure, undefined);
        assert.deepEqual(run.output, Buffer.concat([clientHandshake(1), ...kept.map((x) => x.bytes)]));
        assert.ok(run.filter.atMessageBoundary);
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes never throw: they pass, wait for more, or fail with a clear reason", () => {
    const garbage = fc.tuple(
      fc.constantFrom("view" as const, "control" as const),
      fc.boolean(),
      fc.uint8Array({ minLength: 1, maxLength: 2000 }),
    );
    const withCuts = garbage.chain(([mode, afterHandshake, bytes]) => {
      const stream = afterHandshake ? Buffer.concat([clientHandshake(0), bytes]) : Buffer.from(bytes);
      return fc.tuple(fc.constant(mode), fc.constant(stream), cutsFor(stream.length));
    });
    fc.assert(
      fc.property(withCuts, ([mode, stream, cuts]) => {
        const run = runFilter(mode, splitAt(stream, cuts));
        // Rewriting only ever removes bytes (SetEncodings) or keeps the count (ClientInit).
        assert.ok(run.output.length <= stream.length);
        if (run.failure) {
          assert.match(run.failure.reason, /^(malformed|refused) RFB message: /);
          assert.ok(Buffer.byteLength(run.failure.reason) <= MAX_CLOSE_REASON_BYTES);
          assert.equal(run.filter.phase, "failed");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
