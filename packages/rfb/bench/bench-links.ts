/**
 * The benchmark client's connections: raw TCP or a WebSocket, behind one
 * small interface, plus the client side of an RFB 3.8 None handshake.
 */
import { connect, type Socket } from "node:net";
import { WebSocket } from "ws";
import { RFB_VERSION_3_8 } from "./bench-fake-server.ts";

export interface Link {
  send(data: Uint8Array): void;
  close(): void;
  onData: (chunk: Buffer) => void;
  /**
   * Bytes that arrived before anyone listened: QEMU's websocket sends the RFB
   * version in the same read as the upgrade answer, before `open` resolves.
   */
  early: Buffer[];
  /**
   * Called on every read from the underlying socket, before any WebSocket
   * decoding: when bytes reach the client, whatever the framing (burst timing).
   */
  onArrival?: () => void;
}

/** A TCP port on 127.0.0.1, or a unix socket path. */
export function openTcp(target: number | string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = typeof target === "number" ? connect(target, "127.0.0.1") : connect(target);
    if (typeof target === "number") socket.setNoDelay(true);
    const link: Link = {
      send: (d) => socket.write(d),
      close: () => socket.destroy(),
      onData: (chunk) => link.early.push(chunk),
      early: [],
    };
    socket.on("data", (chunk: Buffer) => {
      link.onArrival?.();
      link.onData(chunk);
    });
    socket.once("connect", () => resolve(link));
    socket.once("error", reject);
  });
}

export function openWebSocket(
  url: string,
  options: { protocols?: string[]; insecureTls?: boolean; headers?: Record<string, string> } = {},
): Promise<Link> {
  return new Promise((resolve, reject) => {
    // QEMU and websockify insist on the "binary" subprotocol; ws accepts it as offered.
    const ws = new WebSocket(url, options.protocols ?? ["binary"], {
      perMessageDeflate: false,
      ...(options.insecureTls ? { rejectUnauthorized: false } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    ws.binaryType = "nodebuffer";
    const link: Link = {
      send: (d) => ws.send(d),
      close: () => ws.terminate(),
      onData: (chunk) => link.early.push(chunk),
      early: [],
    };
    ws.on("message", (data: Buffer) => link.onData(data));
    // Listening to the raw socket any earlier would start it flowing before ws takes it over;
    // prepended, it sees each read before ws decodes it.
    let raw: Socket | undefined;
    ws.once("upgrade", (response) => (raw = response.socket));
    ws.once("open", () => raw?.prependListener("data", () => link.onArrival?.()));
    ws.once("open", () => resolve(link));
    ws.once("error", reject);
  });
}

/** Reads exact byte counts from a link during the handshake. */
class HandshakeReader {
  private buffered: Buffer;
  private waiter: (() => void) | undefined;

  constructor(link: Link) {
    this.buffered = Buffer.concat(link.early);
    link.onData = (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiter?.();
    };
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) await new Promise<void>((resolve) => (this.waiter = resolve));
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  get leftover(): number {
    return this.buffered.length;
  }
}

/** Version 3.8, security None, shared; returns the server's screen size. */
export async function rfbHandshake(link: Link): Promise<{ width: number; height: number }> {
  const reader = new HandshakeReader(link);
  await reader.read(12);
  link.send(RFB_VERSION_3_8);
  const count = (await reader.read(1))[0] ?? 0;
  const types = await reader.read(count);
  if (!types.includes(1)) throw new Error(`server offers no None security: ${[...types]}`);
  link.send(Buffer.from([1]));
  if ((await reader.read(4)).readUInt32BE(0) !== 0) throw new Error("security result: failed");
  link.send(Buffer.from([1]));
  const init = await reader.read(24);
  await reader.read(init.readUInt32BE(20));
  if (reader.leftover > 0) throw new Error("server spoke before being asked");
  return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
}
