/**
 * Burst rate of full-screen updates, as the independent harness measured it: the client asks
 * for one full non-incremental Raw 32 bpp update at a time (as noVNC does), and each update's
 * rate is its bytes divided by the time from its first byte reaching the client's socket to
 * its last. Waiting for QEMU's refresh tick is not counted, so paths compare on the bytes alone.
 */
import { clientMessages } from "../../packages/rfb/src/test-fixtures.ts";
import { rfbHandshake, type Link } from "../../packages/rfb/bench/bench-links.ts";
import { RawUpdateCounter } from "../../packages/rfb/bench/raw-update-counter.ts";

const MIB = 1024 * 1024;

export interface BurstResult {
  /** MiB/s, one per update. */
  rates: number[];
  updateBytes: number;
}

export async function measureBursts(link: Link, updates: number): Promise<BurstResult> {
  const { width, height } = await rfbHandshake(link);
  link.send(clientMessages.setPixelFormat());
  link.send(clientMessages.setEncodings([0]));
  const request = clientMessages.framebufferUpdateRequest(false, 0, 0, width, height);
  const rates: number[] = [];
  let firstByteAt = NaN;
  let bytes = 0;
  let updateBytes = 0;
  await new Promise<void>((done) => {
    link.onArrival = () => {
      if (Number.isNaN(firstByteAt)) firstByteAt = performance.now();
    };
    const counter = new RawUpdateCounter(() => {
      const seconds = (performance.now() - firstByteAt) / 1000;
      rates.push(bytes / MIB / seconds);
      updateBytes = bytes;
      if (rates.length === updates) return done();
      firstByteAt = NaN;
      bytes = 0;
      link.send(request);
    });
    link.onData = (chunk) => {
      bytes += chunk.length;
      counter.push(chunk);
    };
    link.send(request);
  });
  link.close();
  return { rates, updateBytes };
}
