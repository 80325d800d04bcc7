/**
 * TEST FAKE for the boundary "QEMU's VNC unix socket". It is not QEMU: it
 * speaks only the server side of the RFB 3.8 handshake (security None), then
 * records what it receives and writes what a test tells it to. Real QEMU is
 * exercised by the integration tests and by bench/display-proxy.ts.
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FAKE_SERVER_VERSION = Buffer.from("RFB 003.008\n", "latin1");
const SECURITY_TYPES_NONE_ONLY = Buffer.from([1, 1]);
const SECURITY_RESULT_OK = Buffer.from([0, 0, 0, 0]);

/** ServerInit for a 720x400 screen, 32 bpp true colour, named "fake". */
export const FAKE_SERVER_INIT = Buffer.from([
  ...[0x02, 0xd0, 0x01, 0x90],
  ...[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0],
  ...[0, 0, 0, 4],
  ...Buffer.from("fake"),
]);

/** Everything the fake sends before normal messages, in order. */
export const FAKE_SERVER_HANDSHAKE = Buffer.concat([FAKE_SERVER_VERSION, SECURITY_TYPES_NONE_ONLY, SECURITY_RESULT_OK, FAKE_SERVER_INIT]);

export class FakeDisplayConnection {
  private readonly chunks: Buffer[] = [];
  receivedBytes = 0;
  /** Bytes handed to socket.write by flood(): what the proxy let through. */
  floodedBytes = 0;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.write(FAKE_SERVER_VERSION);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => (this.closed = true));
    socket.on("error", () => {});
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Writes `chunk` again and again for as long as the socket accepts it. */
  flood(chunk: Buffer): void {
    const writeMore = (): void => {
      while (!this.closed) {
        this.floodedBytes += chunk.length;
        if (!this.socket.write(chunk)) {
          this.socket.once("drain", writeMore);
          return;
        }
      }
    };
    writeMore();
  }

  private onData(chunk: Buffer): void {
    const before = this.receivedBytes;
    this.chunks.push(chunk);
    this.receivedBytes += chunk.length;
    // Answer each handshake step once the client's answer to the previous one is in.
    if (before < 12 && this.receivedBytes >= 12) this.socket.write(SECURITY_TYPES_NONE_ONLY);
    if (before < 13 && this.receivedBytes >= 13) this.socket.write(SECURITY_RESULT_OK);
    if (before < 14 && this.receivedBytes >= 14) this.socket.write(FAKE_SERVER_INIT);
  }
}

export class FakeDisplayServer {
  readonly connections: FakeDisplayConnection[] = [];

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly path: string,
  ) {
    server.on("connection", (socket) => this.connections.push(new FakeDisplayConnection(socket)));
  }

  static async start(): Promise<FakeDisplayServer> {
    const dir = await mkdtemp(join(tmpdir(), "rfb-fake-"));
    const path = join(dir, "vnc.sock");
    const server = createServer();
    server.listen(path);
    await once(server, "listening");
    return new FakeDisplayServer(server, dir, path);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
