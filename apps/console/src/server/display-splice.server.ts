// After both WebSocket handshakes, the console passes the browser's frames to the host and the
// host's to the browser as bytes, without decoding or re-framing them (ADR 0019): the browser
// masks its frames as the host's ws server requires, the host's are unmasked as the browser
// requires, and neither side negotiated an extension. The console still reads frame headers
// (ws-frames.server.ts) to count payload bytes, learn close reasons, and close a viewer between
// frames. Back-pressure is Node's: a side whose write buffer passes HIGH_WATER stops the other
// side being read until it emits 'drain'.
import type { Duplex } from "node:stream";
import type { HostReads } from "./host-display.server.ts";
import { FrameReader, serverCloseFrame } from "./ws-frames.server.ts";

const HIGH_WATER = 1024 * 1024;
/** What a viewer is told when the host's side of its display drops without closing. */
export const HOST_UNREACHABLE = "the host is unreachable";

/** A viewer being closed mid-frame gets this long for the frame to end before the cut. */
const CLOSE_GRACE_MS = 2000;

export interface RelayMetrics {
  bytesUp: number;
  bytesDown: number;
  reason: string;
}

export interface DisplaySplice {
  /** Sends the browser a close frame (between frames) and ends both connections. */
  close(reason: string, code?: number): void;
}

/** `host` is the host's display connection, whose bytes arrive through `hostReads` (host-display.server.ts). */
export function spliceDisplay(browser: Duplex, host: Duplex, hostReads: HostReads, onClose: (m: RelayMetrics) => void): DisplaySplice {
  const up = new FrameReader();
  const down = new FrameReader();
  let closing: Buffer | null = null;
  let reason = "";
  let ended = false;

  const finish = (why: string) => {
    if (ended) return;
    ended = true;
    reason ||= why;
    browser.end();
    host.destroy();
    setTimeout(() => browser.destroy(), CLOSE_GRACE_MS).unref();
    onClose({ bytesUp: up.payloadBytes, bytesDown: down.payloadBytes, reason });
  };

  const sendClose = () => {
    if (ended || !closing) return;
    browser.write(closing);
    finish(reason);
  };

  const throttle = (from: Duplex, to: Duplex) => {
    if (to.writableLength > HIGH_WATER && !from.isPaused()) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  };

  // Each read buffer is reused once the browser's socket has taken its bytes.
  hostReads.take((chunk, release) => {
    if (ended) return release();
    if (closing) {
      const end = down.push(chunk, true);
      if (end > 0) browser.write(Buffer.from(chunk.subarray(0, end)));
      release();
      if (down.atBoundary) sendClose();
      return;
    }
    down.push(chunk);
    browser.write(chunk, release);
    throttle(host, browser);
    if (down.close && !reason) reason = down.close.reason || "display closed";
  });
  browser.on("data", (chunk: Buffer) => {
    if (ended || closing) return;
    up.push(chunk);
    host.write(chunk);
    throttle(browser, host);
    if (up.close && !reason) reason = `viewer closed (${up.close.code}${up.close.reason ? `: ${up.close.reason}` : ""})`;
  });

  /**
   * The host's side went without a close frame of its own (the host service died, or the network
   * to it did): the viewer is told so in a close frame of ours, between frames, rather than seeing
   * a dropped connection. A host that closed properly has passed its own close frame through.
   */
  const hostGone = (why: string) => {
    if (ended || closing || down.close) return finish(why);
    reason = HOST_UNREACHABLE;
    if (!down.atBoundary) return finish(reason);
    closing = serverCloseFrame(4000, HOST_UNREACHABLE);
    sendClose();
  };

  browser.on("end", () => finish("viewer closed"));
  host.on("end", () => hostGone("display closed"));
  browser.on("close", () => finish("viewer closed"));
  host.on("close", () => hostGone("display closed"));
  browser.on("error", () => finish("viewer connection error"));
  host.on("error", () => hostGone("display connection error"));

  return {
    close(why, code = 1000) {
      if (ended || closing) return;
      reason = why;
      closing = serverCloseFrame(code, why.slice(0, 120));
      if (down.atBoundary) return sendClose();
      setTimeout(() => finish(why), CLOSE_GRACE_MS).unref();
    },
  };
}
