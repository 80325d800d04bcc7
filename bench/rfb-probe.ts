/** A minimal RFB 3.8 probe shared by the benchmarks (host-start.ts, clone.ts). */
import type { Socket } from "node:net";
import { connectUnix } from "@guesthouse/qemu/unix-connect";

/** A minimal RFB client: handshake (3.8, security None), one full update request, time to its answer. */
export async function firstFramebufferUpdate(vncPath: string): Promise<void> {
  const sock = await connectUnix(vncPath, { timeoutMs: 10_000 });
  const read = reader(sock);
  try {
    const version = (await read(12)).toString("latin1");
    if (!version.startsWith("RFB 003.")) throw new Error(`not RFB: ${JSON.stringify(version)}`);
    sock.write("RFB 003.008\n");
    const types = await read((await read(1))[0] as number);
    if (!types.includes(1)) throw new Error("server offers no None security");
    sock.write(Buffer.from([1]));
    if ((await read(4)).readUInt32BE(0) !== 0) throw new Error("security handshake failed");
    sock.write(Buffer.from([1])); // ClientInit: shared
    const init = await read(24);
    await read(init.readUInt32BE(20)); // desktop name
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0); // FramebufferUpdateRequest, non-incremental, whole screen
    request.writeUInt16BE(init.readUInt16BE(0), 6);
    request.writeUInt16BE(init.readUInt16BE(2), 8);
    sock.write(request);
    const type = (await read(1))[0];
    if (type !== 0) throw new Error(`expected FramebufferUpdate, got message type ${type}`);
  } finally {
    sock.destroy();
  }
}

function reader(sock: Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const pump = () => {
    if (want && buf.length >= want.n) {
      const out = buf.subarray(0, want.n);
      buf = buf.subarray(want.n);
      const w = want;
      want = undefined;
      w.resolve(out);
    }
  };
  sock.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    pump();
  });
  sock.on("close", () => want?.reject(new Error("VNC socket closed")));
  return (n) =>
    new Promise((resolve, reject) => {
      want = { n, resolve, reject };
      pump();
    });
}
