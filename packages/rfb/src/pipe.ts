/**
 * Joins one viewer's WebSocket to one connection to the display server
 * (QEMU's VNC unix socket). Server→viewer bytes pass untouched, one binary
 * message per socket read; viewer→server bytes pass through ClientStreamFilter.
 *
 * Each viewer gets its own server connection and QEMU shares the screen
 * between them, so back-pressure here only ever slows the viewer that causes
 * it: a viewer that stops reading stops *its* socket being read, and QEMU
 * throttles that one client.
 */
import { Stream, type Duplex } from "node:stream";
import { WebSocket, type RawData } from "ws";
import { ClientStreamFilter } from "./client-stream.ts";
import { connectDisplaySocket } from "./display-socket.ts";
import { DEFAULT_HIGH_WATER_MARK, type DisplayPipe, type DisplayPipeMetrics, type DisplayPipeOptions } from "./pipe-types.ts";
import { CLOSE_CODE_BY_FAILURE, closeReasonOf } from "./rfb-failure.ts";

export * from "./pipe-types.ts";

type MutableMetrics = {
  -readonly [K in keyof DisplayPipeMetrics]: DisplayPipeMetrics[K];
};

export function pipeDisplay(options: DisplayPipeOptions): DisplayPipe {
  const { ws, mode, onClose } = options;
  const highWater = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const lowWater = Math.floor(highWater / 4);
  const filter = new ClientStreamFilter({
    mode,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const metrics: MutableMetrics = {
    mode,
    startedAt: Date.now(),
    endedAt: null,
    bytesFromViewer: 0,
    bytesToServer: 0,
    bytesToViewer: 0,
    messagesFromViewer: 0,
    droppedInputMessages: 0,
    peakQueuedToViewer: 0,
    peakQueuedToServer: 0,
    closeReason: null,
  };
  let serverPaused = false;
  let viewerPaused = false;

  ws.binaryType = "nodebuffer";

  // One shared callback (no closure per frame): it runs when a frame has been
  // handed to the kernel, which is exactly when bufferedAmount can have dropped.
  const onFrameSent = (): void => {
    if (serverPaused && ws.bufferedAmount <= lowWater) {
      serverPaused = false;
      upstream.resume();
    }
  };

  function forwardToViewer(chunk: Buffer, release?: () => void): void {
    if (ws.readyState !== WebSocket.OPEN) return release?.();
    metrics.bytesToViewer += chunk.length;
    const sent = release
      ? () => {
          release();
          onFrameSent();
        }
      : onFrameSent;
    ws.send(chunk, { binary: true, compress: false }, sent);
    const queued = ws.bufferedAmount;
    if (queued > metrics.peakQueuedToViewer) metrics.peakQueuedToViewer = queued;
    if (queued > highWater && !serverPaused) {
      serverPaused = true;
      upstream.pause();
    }
  }

  const target = options.upstream;
  const upstream: Duplex =
    target instanceof Stream ? target.on("data", (chunk: Buffer) => forwardToViewer(chunk)) : connectDisplaySocket(target, forwardToViewer);
  upstream.on("end", () => shutDown("display server closed the connection", 1000));
  upstream.on("error", (error: Error) => shutDown(`display server connection failed: ${error.message}`, 1011));
  upstream.on("close", () => shutDown("display server connection closed", 1000));

  const resumeViewer = (): void => {
    viewerPaused = false;
    ws.resume();
  };

  ws.on("message", (data: RawData, isBinary: boolean) => {
    if (metrics.closeReason !== null) return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      shutDown("refused RFB message: text WebSocket frames are not RFB", 1003);
      return;
    }
    metrics.bytesFromViewer += data.length;
    const result = filter.push(data);
    for (const event of result.events) {
      metrics.messagesFromViewer++;
      if (!event.forwarded) metrics.droppedInputMessages++;
    }
    for (const part of result.forward) {
      metrics.bytesToServer += part.length;
      const accepted = upstream.write(part);
      if (upstream.writableLength > metrics.peakQueuedToServer) {
        metrics.peakQueuedToServer = upstream.writableLength;
      }
      if (!accepted && !viewerPaused) {
        viewerPaused = true;
        ws.pause();
        upstream.once("drain", resumeViewer);
      }
    }
    if (result.failure) shutDown(result.failure.reason, CLOSE_CODE_BY_FAILURE[result.failure.kind]);
  });

  function shutDown(reason: string, code: number): void {
    if (metrics.closeReason === null) metrics.closeReason = reason;
    upstream.destroy();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      ws.close(code, closeReasonOf(reason));
    }
  }

  // ws emits 'close' after 'error'; the handler only has to exist so the error is not thrown.
  ws.on("error", (error: Error) => {
    if (metrics.closeReason === null) metrics.closeReason = `viewer connection failed: ${error.message}`;
  });
  ws.on("close", (code: number, reason: Buffer) => {
    if (metrics.closeReason === null) {
      const text = reason.toString("utf8");
      metrics.closeReason = `viewer closed (${code}${text ? `: ${text}` : ""})`;
    }
    upstream.destroy();
    metrics.endedAt = Date.now();
    onClose?.({ ...metrics });
  });

  return {
    metrics: () => ({ ...metrics }),
    close: (reason, code = 1000) => shutDown(reason, code),
  };
}
