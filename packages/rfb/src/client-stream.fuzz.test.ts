// Adversarial client streams, 10,000 of them: valid messages mutated, truncated and interleaved
// with garbage, headers announcing huge bodies, broken handshakes, all split at random points
// (down to single bytes), under random limits. The filter must never throw, must hold no more
// than its one fixed buffer (≤ 4.2 KiB at the default limits), must never forward an input
// message for a view-only viewer, and once failed must forward nothing more.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ClientStreamFilter } from "./client-stream.ts";
import { DEFAULT_LIMITS, maxBufferedMessageBytes, type ClientStreamLimits } from "./client-messages.ts";
import { SAMPLE_MESSAGES, splitAt } from "./client-stream.test-support.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";

const CASES = 10_000;
/** What the default limits allow the filter to hold: a SetEncodings of 1,024 encodings. */
const DEFAULT_CAP = 4 + 4 * 1024;

const sample = fc.constantFrom(...SAMPLE_MESSAGES.map((s) => s.bytes));
const u32be = (v: number) => Buffer.from([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

/** Headers that announce more than any limit allows, or sit right at a limit. */
const hostileHeader = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => Buffer.from([2, 0, n >> 8, n & 0xff])),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => Buffer.concat([Buffer.from([6, 0, 0, 0]), u32be(n)])),
  fc.integer({ min: 0, max: 255 }).map((n) => Buffer.concat([Buffer.from([248, 0, 0, 0]), u32be(0), Buffer.from([n])])),
  fc.integer({ min: 0, max: 255 }).map((n) => Buffer.from([251, 0, 4, 0, 3, 0, n, 0])),
  fc.integer({ min: 0, max: 255 }).map((sub) => Buffer.from([255, sub, 0, 7])),
  fc.integer({ min: 0, max: 255 }).map((type) => Buffer.from([type])),
);

/** A valid message with one byte changed, cut short, or doubled. */
const mutated = fc.tuple(sample, fc.nat(), fc.nat(255), fc.constantFrom("flip", "truncate", "double")).map(([bytes, at, value, how]) => {
  const copy = Buffer.from(bytes);
  if (how === "flip") copy[at % copy.length] = value;
  if (how === "truncate") return copy.subarray(0, at % copy.length);
  if (how === "double") return Buffer.concat([copy, copy]);
  return copy;
});

const segment = fc.oneof(
  { arbitrary: sample, weight: 3 },
  { arbitrary: mutated, weight: 3 },
  { arbitrary: hostileHeader, weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), weight: 1 },
  { arbitrary: fc.nat(3000).map((n) => m.clientCutText(Buffer.alloc(n, 0x41))), weight: 1 },
);

const handshake = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1).map((shared) => clientHandshake(shared)), weight: 6 },
  fc.constantFrom(
    Buffer.from("RFB 003.003\n\x01\x00"),
    Buffer.from("RFB 999.999\n\x01\x00"),
    Buffer.from("HTTP/1.1 200"),
    Buffer.concat([m.version(), m.securityType(2), m.clientInit(0)]),
    Buffer.alloc(0),
  ),
  fc.uint8Array({ maxLength: 14 }).map((b) => Buffer.from(b)),
);

const limits: fc.Arbitrary<Partial<ClientStreamLimits> | undefined> = fc.option(
  fc.record({ maxEncodings: fc.integer({ min: 0, max: 2048 }), maxCutTextBytes: fc.integer({ min: 0, max: 4096 }) }),
  { nil: undefined },
);

const stream = fc
  .tuple(fc.constantFrom("view" as const, "control" as const), limits, handshake, fc.array(segment, { maxLength: 30 }))
  .chain(([mode, limit, hs, parts]) => {
    const bytes = Buffer.concat([hs, ...parts]);
    const cuts = fc
      .oneof(
        fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }),
        // Byte by byte: every message is reassembled in the buffer.
        fc.constant(Array.from({ length: Math.min(bytes.length, 600) }, (_, i) => i)),
      )
      .map((c) => c.sort((a, b) => a - b));
    return fc.tuple(fc.constant(mode), fc.constant(limit), fc.constant(bytes), cuts);
  });

describe("ClientStreamFilter under adversarial streams", () => {
  it("the default limits cap the buffer at one 1,024-encoding SetEncodings", () => {
    assert.equal(maxBufferedMessageBytes(DEFAULT_LIMITS), DEFAULT_CAP);
    assert.equal(new ClientStreamFilter({ mode: "view" }).bufferCapacity, DEFAULT_CAP);
  });

  it(`${CASES.toLocaleString("en")} streams: no throw, buffer under its cap, no input forwarded for a viewer, nothing after a failure`, () => {
    let failures = 0;
    fc.assert(
      fc.property(stream, ([mode, limit, bytes, cuts]) => {
        const filter = new ClientStreamFilter({ mode, ...(limit ? { limits: limit } : {}) });
        const cap = maxBufferedMessageBytes({ ...DEFAULT_LIMITS, ...limit });
        assert.equal(filter.bufferCapacity, cap);
        assert.ok(cap <= Math.max(DEFAULT_CAP, 4 + 4 * (limit?.maxEncodings ?? 0)));
        let failed = false;
        let forwarded = 0;
        for (const chunk of splitAt(bytes, cuts)) {
          const result = filter.push(chunk);
          const out = result.forward.reduce((n, part) => n + part.length, 0);
          if (failed) assert.equal(out, 0, "nothing is forwarded after a failure");
          forwarded += out;
          assert.ok(filter.bufferedBytes <= cap, `holds ${filter.bufferedBytes} bytes, cap ${cap}`);
          if (mode === "view") assert.ok(!result.events.some((e) => e.class === "input" && e.forwarded), "input forwarded for a viewer");
          if (result.failure) {
            failed = true;
            assert.match(result.failure.reason, /^(malformed|refused) RFB message: /);
            assert.equal(filter.bufferedBytes, 0, "a failure drops what was buffered");
          }
        }
        assert.ok(forwarded <= bytes.length, "the filter never adds bytes");
        if (failed) failures++;
      }),
      { numRuns: CASES },
    );
    // The generator is adversarial enough to break most streams, and not so much that all break.
    assert.ok(failures > CASES * 0.2 && failures < CASES, `${failures} of ${CASES} streams were refused`);
  });
});
