/**
 * Opens a display connection read in large reused buffers: for the host's pipe, QEMU's VNC (a
 * socket pair's end, ADR 0060, or `-vnc unix:` by path); for the console, the host's /display.
 *
 * Why not plain `net.connect(path)`: Node reads a socket into a fresh 64 KiB buffer per read,
 * so a 1.2 MB full-screen update crosses as ~18 WebSocket messages and ~18 allocations the
 * garbage collector must reclaim. Reading into our own 256 KiB buffers (Node's `onread`) sends
 * fewer, larger messages, and each buffer is reused once the consumer says the kernel has its
 * bytes (`release`), so a steady stream allocates next to nothing for the GC to reclaim.
 */
import { connect, Socket, type OnReadOpts, type SocketConstructorOpts } from "node:net";

export const DISPLAY_READ_BYTES = 256 * 1024;

/**
 * Reads smaller than this are copied out and the big buffer is reused at once, so tiny replies
 * (a cursor move, a 1x1 update) do not each hold a 256 KiB buffer.
 */
const COPY_READS_BELOW = 16 * 1024;
/** Free buffers kept per connection; more in flight than this are left to the GC. */
const KEEP_FREE = 8;

/**
 * `chunk` stays valid until `release` is called (at most once); a consumer that never calls
 * it only costs an allocation.
 */
export type DisplayChunkHandler = (chunk: Buffer, release: () => void) => void;

const NO_RELEASE = (): void => {};

/**
 * A unix socket path or a TCP address to connect to, or a connected stream socket's descriptor,
 * which the socket then owns.
 */
export type DisplaySocketTarget = { readonly path: string } | { readonly host: string; readonly port: number } | { readonly fd: number };

/**
 * Opens `target`; every read is handed to `onChunk` (the `data` event is not emitted).
 * `pause()`/`resume()` on the socket still start and stop reading, and `end`/`close`/`error`
 * behave as usual.
 */
export function connectDisplaySocket(target: DisplaySocketTarget, onChunk: DisplayChunkHandler): Socket {
  const free: Buffer[] = [];
  let current: Buffer = Buffer.allocUnsafe(DISPLAY_READ_BYTES);
  let handedOff = false;
  const onread: OnReadOpts = {
    // Node calls this after every read for the buffer of the next read.
    buffer: () => {
      if (handedOff) {
        current = free.pop() ?? Buffer.allocUnsafe(DISPLAY_READ_BYTES);
        handedOff = false;
      }
      return current;
    },
    callback: (bytesRead: number, read: Uint8Array): boolean => {
      const view = Buffer.from(read.buffer, read.byteOffset, bytesRead);
      if (bytesRead < COPY_READS_BELOW) {
        onChunk(Buffer.from(view), NO_RELEASE);
        return true;
      }
      // The consumer keeps this view (ws queues it), so it is not reused until released.
      const owner = current;
      handedOff = true;
      let released = false;
      onChunk(view, () => {
        if (released) return;
        released = true;
        if (free.length < KEEP_FREE) free.push(owner);
      });
      return true;
    },
  };
  if ("path" in target) return connect({ path: target.path, onread });
  if ("host" in target) return connect({ host: target.host, port: target.port, onread });
  // Node's Socket constructor takes `onread` as connect() does; @types/node lists it only for connect().
  const options: SocketConstructorOpts & { onread: OnReadOpts } = { fd: target.fd, readable: true, writable: true, onread };
  return new Socket(options);
}
