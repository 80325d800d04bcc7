/**
 * BENCHMARK FAKE RFB server for bench/display-proxy.ts. It is not QEMU: it
 * exists to give every path the same, CPU-cheap source so the benchmark
 * measures transports, not a VNC encoder.
 *
 * After a None-security handshake it answers FramebufferUpdateRequest with a
 * 1x1 raw update (20 bytes: the round-trip probe) and, after
 * EnableContinuousUpdates, streams raw full-screen updates as fast as the
 * reader takes them (the throughput source).
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";

export const FAKE_SCREEN = { width: 640, height: 480 } as const;
export const PROBE_REPLY_BYTES = 20;
export const RFB_VERSION_3_8 = Buffer.from("RFB 003.008\n", "latin1");

function serverInit(width: number, height: number, name: string): Buffer {
  const b = Buffer.alloc(24 + name.length);
  b.writeUInt16BE(width, 0);
  b.writeUInt16BE(height, 2);
  // 32 bpp, depth 24, little-endian, true colour, 8 bits per channel.
  const format = [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0];
  Buffer.from(format).copy(b, 4);
  b.writeUInt32BE(name.length, 20);
  b.write(name, 24, "latin1");
  return b;
}

/** A FramebufferUpdate with one raw 32 bpp rectangle. */
function rawUpdate(width: number, height: number): Buffer {
  const b = Buffer.alloc(16 + width * height * 4, 0x3c);
  b.writeUInt32BE(1, 0); // type 0, padding, 1 rectangle
  b.writeUInt32BE(0, 4); // x, y
  b.writeUInt16BE(width, 8);
  b.writeUInt16BE(height, 10);
  b.writeInt32BE(0, 12); // encoding Raw
  return b;
}

function serveOneClient(socket: Socket): void {
  const frame = rawUpdate(FAKE_SCREEN.width, FAKE_SCREEN.height);
  const probeReply = rawUpdate(1, 1);
  const init = serverInit(FAKE_SCREEN.width, FAKE_SCREEN.height, "bench-fake");
  socket.setNoDelay(true);
  socket.on("error", () => {});
  socket.write(RFB_VERSION_3_8);
  let stage = 0; // 0 version, 1 security, 2 client-init, 3 messages
  let buffered: Buffer = Buffer.alloc(0);
  const stream = (): void => {
    while (socket.writable && socket.write(frame));
    if (socket.writable) socket.once("drain", stream);
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    for (;;) {
      // The benchmark client only ever sends 10-byte messages after the handshake.
      const need = stage === 0 ? 12 : stage < 3 ? 1 : 10;
      if (buffered.length < need) return;
      const type = buffered[0];
      buffered = buffered.subarray(need);
      if (stage === 0) socket.write(Buffer.from([1, 1]));
      else if (stage === 1) socket.write(Buffer.alloc(4));
      else if (stage === 2) socket.write(init);
      else if (type === 3) socket.write(probeReply);
      else if (type === 150) stream();
      else return void socket.destroy();
      stage = Math.min(stage + 1, 3);
    }
  });
}

/** Listens on TCP (ephemeral port) and on DIR/fake.sock; prints {"port"} when ready. */
export function runFakeRfbServer(dir: string): void {
  const tcp = createServer(serveOneClient).listen(0, "127.0.0.1", () => {
    createServer(serveOneClient).listen(join(dir, "fake.sock"), () => {
      const { port } = tcp.address() as AddressInfo;
      process.stdout.write(`${JSON.stringify({ port })}\n`);
    });
  });
}
