// A minimal RFB client for tests: it signs in to a VNC server (security None), asks for the
// extended clipboard and never for a framebuffer update, so all the server sends after ServerInit
// is clipboard (ServerCutText) messages. Used to check the guest clipboard through QEMU for real.
import { connect, type Socket } from "node:net";
import { deflateSync, inflateSync } from "node:zlib";
import { EXTENDED_CLIPBOARD } from "./set-encodings.ts";

const TEXT = 1 << 0;
const CAPS = 1 << 24;
const REQUEST = 1 << 25;
const NOTIFY = 1 << 27;
const PROVIDE = 1 << 28;

export interface ClipboardClient {
  /** Resolves with the next text the server provides (after a notify, it is requested). */
  nextText(timeoutMs: number): Promise<string>;
  /** The browser copies: announces text, and provides it when the server asks. */
  copy(text: string): void;
  /** ServerCutText messages received, of any kind. */
  readonly received: number;
  close(): void;
}

class Reader {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) await new Promise<void>((r) => this.waiters.push(r));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

function cutText(flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 6;
  head.writeInt32BE(-(4 + payload.length), 4);
  head.writeUInt32BE(flags >>> 0, 8);
  return Buffer.concat([head, payload]);
}

export async function openClipboardClient(path: string, options: { encodings?: number[] } = {}): Promise<ClipboardClient> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const r = new Reader(socket);
  await r.take(12);
  socket.write("RFB 003.008\n");
  const n = (await r.take(1))[0] ?? 0;
  await r.take(n);
  socket.write(Buffer.from([1]));
  await r.take(4);
  socket.write(Buffer.from([1]));
  const init = await r.take(24);
  await r.take(init.readUInt32BE(20));
  const encodings = options.encodings ?? [0, EXTENDED_CLIPBOARD];
  const set = Buffer.alloc(4 + 4 * encodings.length);
  set[0] = 2;
  set.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => set.writeInt32BE(e, 4 + 4 * i));
  socket.write(set);

  const texts: string[] = [];
  let wake: (() => void) | undefined;
  let received = 0;
  let copied: Buffer | undefined;
  void (async () => {
    for (;;) {
      const head = await r.take(8);
      if (head[0] !== 3) throw new Error(`unexpected server message ${head[0]} (no updates were asked for)`);
      received++;
      const len = head.readInt32BE(4);
      const body = await r.take(Math.abs(len));
      if (len >= 0) {
        texts.push(body.toString("latin1"));
      } else {
        const flags = body.readUInt32BE(0);
        if (flags & CAPS) continue;
        if (flags & NOTIFY && flags & TEXT) socket.write(cutText(REQUEST | TEXT, Buffer.alloc(0)));
        if (flags & REQUEST && flags & TEXT && copied) {
          const data = Buffer.concat([Buffer.alloc(4), copied, Buffer.from([0])]);
          data.writeUInt32BE(copied.length + 1, 0);
          socket.write(cutText(PROVIDE | TEXT, deflateSync(data)));
        }
        if (flags & PROVIDE && flags & TEXT) {
          const data = inflateSync(body.subarray(4));
          texts.push(
            data
              .subarray(4, 4 + data.readUInt32BE(0))
              .toString("utf8")
              .replace(/\0$/, ""),
          );
        }
      }
      wake?.();
    }
  })().catch(() => undefined);

  return {
    get received() {
      return received;
    },
    async nextText(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (texts.length === 0) {
        if (Date.now() > deadline) throw new Error("no clipboard text from the server");
        await new Promise<void>((res) => {
          wake = res;
          setTimeout(res, Math.max(1, deadline - Date.now())).unref();
        });
      }
      return texts.shift()!;
    },
    copy(text) {
      copied = Buffer.from(text, "utf8");
      socket.write(cutText(NOTIFY | TEXT, Buffer.alloc(0)));
    },
    close: () => socket.destroy(),
  };
}
