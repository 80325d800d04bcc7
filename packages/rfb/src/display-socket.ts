/**
 * Opens a display server's unix socket (QEMU's `-vnc unix:`) for the pipe.
 *
 * Why not plain `net.connect(path)`: Node reads a socket at most 64 KiB at a
 * time, so a 1.2 MB full-screen update would cross as ~18 WebSocket
 * messages. Reading into our own 256 KiB buffers (Node's `onread`) sends
 * fewer, larger messages: less per-message work for the proxy and for
 * noVNC in the browser. In bench/display-proxy.ts this cut the proxy's CPU
 * per GB by about a fifth.
 */
import { connect, type Socket } from "node:net";

export const DISPLAY_READ_BYTES = 256 * 1024;

/**
 * Reads smaller than this are copied out and the big buffer is reused, so
 * tiny replies (a cursor move, a 1x1 update) do not each allocate 256 KiB.
 */
const COPY_READS_BELOW = 16 * 1024;

/**
 * Connects to `path`; every read is handed to `onChunk` (the `data` event is
 * not emitted). `pause()`/`resume()` on the socket still start and stop
 * reading, and `end`/`close`/`error` behave as usual.
 */
export function connectDisplaySocket(path: string, onChunk: (chunk: Buffer) => void): Socket {
  let buffer = Buffer.allocUnsafe(DISPLAY_READ_BYTES);
  let handedOff = false;
  return connect({
    path,
    onread: {
      // Node calls this after every read for the buffer of the next read.
      buffer: () => {
        if (handedOff) {
          buffer = Buffer.allocUnsafe(DISPLAY_READ_BYTES);
          handedOff = false;
        }
        return buffer;
      },
      callback: (bytesRead: number, read: Uint8Array): boolean => {
        const view = Buffer.from(read.buffer, read.byteOffset, bytesRead);
        if (bytesRead < COPY_READS_BELOW) {
          onChunk(Buffer.from(view));
        } else {
          // The consumer keeps this view (ws queues it), so it must never be reused.
          handedOff = true;
          onChunk(view);
        }
        return true;
      },
    },
  });
}
