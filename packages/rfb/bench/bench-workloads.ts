/**
 * The three measurements of bench/display-proxy.ts. Each takes a fresh link,
 * does its own RFB handshake, measures, and closes the link.
 */
import { clientMessages } from "../src/test-fixtures.ts";
import { FAKE_SCREEN, PROBE_REPLY_BYTES } from "./bench-fake-server.ts";
import { rfbHandshake, type Link } from "./bench-links.ts";
import { sleep } from "./bench-time.ts";
import { RawUpdateCounter } from "./raw-update-counter.ts";

export interface StreamResult {
  mbps: number;
  /** Every byte of the connection, warm-up included, for CPU per byte. */
  bytes: number;
}

/** Workload A throughput: the fake streams full-screen updates; we count bytes. */
export async function measureStream(link: Link, timing: { warmupMs: number; windowMs: number }): Promise<StreamResult> {
  await rfbHandshake(link);
  let bytes = 0;
  link.onData = (chunk) => (bytes += chunk.length);
  const { width, height } = FAKE_SCREEN;
  link.send(clientMessages.enableContinuousUpdates(true, width, height));
  await sleep(timing.warmupMs);
  const [b0, t0] = [bytes, performance.now()];
  await sleep(timing.windowMs);
  const [b1, t1] = [bytes, performance.now()];
  link.close();
  return { mbps: (b1 - b0) / 1e6 / ((t1 - t0) / 1000), bytes };
}

/** Workload A latency: one 1x1 update request in flight at a time. */
export async function measureRoundTrips(link: Link, counts: { samples: number; warmup: number }): Promise<number[]> {
  await rfbHandshake(link);
  const request = clientMessages.framebufferUpdateRequest(false, 0, 0, 1, 1);
  const rtts: number[] = [];
  await new Promise<void>((done) => {
    let pending = 0;
    let sentAt = 0;
    const ask = (): void => {
      sentAt = performance.now();
      link.send(request);
    };
    link.onData = (chunk) => {
      pending += chunk.length;
      if (pending < PROBE_REPLY_BYTES) return;
      pending -= PROBE_REPLY_BYTES;
      rtts.push(performance.now() - sentAt);
      if (rtts.length === counts.samples + counts.warmup) return done();
      ask();
    };
    ask();
  });
  link.close();
  return rtts.slice(counts.warmup);
}

export interface RefreshResult {
  bytes: number;
  seconds: number;
  /** Request → whole update, per update. */
  rtts: number[];
}

/**
 * Workload B: full non-incremental update requests to real QEMU, one in
 * flight, as noVNC keeps one request outstanding.
 */
export async function measureQemuRefresh(link: Link, windowMs: number): Promise<RefreshResult> {
  const { width, height } = await rfbHandshake(link);
  link.send(clientMessages.setPixelFormat());
  link.send(clientMessages.setEncodings([0])); // Raw only: what we count
  const request = clientMessages.framebufferUpdateRequest(false, 0, 0, width, height);
  const result: RefreshResult = { bytes: 0, seconds: 0, rtts: [] };
  const started = performance.now();
  await new Promise<void>((done) => {
    let sentAt = performance.now();
    const counter = new RawUpdateCounter(() => {
      const now = performance.now();
      result.rtts.push(now - sentAt);
      if (now - started >= windowMs) return done();
      sentAt = now;
      link.send(request);
    });
    link.onData = (chunk) => {
      result.bytes += chunk.length;
      counter.push(chunk);
    };
    link.send(request);
  });
  result.seconds = (performance.now() - started) / 1000;
  link.close();
  return result;
}
