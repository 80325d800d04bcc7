// Two WebSockets joined back to back, with back-pressure both ways: when one side's send buffer
// passes the high-water mark, the other side stops being read until it drains.
import type WebSocket from "ws";

const HIGH_WATER = 1024 * 1024;
const PASSED_ON = new Set([1002, 1003, 1007, 1008, 1009]);

export interface RelayMetrics {
  bytesUp: number;
  bytesDown: number;
  reason: string;
}

function forward(from: WebSocket, to: WebSocket, count: (n: number) => void) {
  from.on("message", (data: Buffer, isBinary) => {
    if (to.readyState !== to.OPEN) return;
    count(data.length);
    to.send(data, { binary: isBinary });
    if (to.bufferedAmount > HIGH_WATER) {
      from.pause();
      const check = () => (to.bufferedAmount > HIGH_WATER && to.readyState === to.OPEN ? setTimeout(check, 5) : from.resume());
      setTimeout(check, 5);
    }
  });
}

export function relayWebSockets(browser: WebSocket, upstream: WebSocket, onClose: (m: RelayMetrics) => void): void {
  const metrics: RelayMetrics = { bytesUp: 0, bytesDown: 0, reason: "" };
  forward(browser, upstream, (n) => (metrics.bytesUp += n));
  forward(upstream, browser, (n) => (metrics.bytesDown += n));
  let closed = false;
  const close = (reason: string, code = 1000) => {
    if (closed) return;
    closed = true;
    metrics.reason = reason;
    for (const ws of [browser, upstream]) if (ws.readyState === ws.OPEN) ws.close(code, reason.slice(0, 120));
    onClose(metrics);
  };
  browser.on("close", (_code, why) => close(why.toString() || "viewer closed"));
  // Protocol refusals from the host (e.g. a malformed RFB message) reach the viewer with their code.
  upstream.on("close", (code, why) => close(why.toString() || "display closed", PASSED_ON.has(code) ? code : 1000));
  browser.on("error", () => close("viewer connection error"));
  upstream.on("error", () => close("display connection error"));
}
