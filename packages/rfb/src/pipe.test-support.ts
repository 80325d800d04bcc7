/** A real ws server running pipeDisplay in front of a unix socket, and a real ws viewer. */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { DISPLAY_WEBSOCKET_OPTIONS, pipeDisplay, type DisplayPipe, type DisplayPipeMetrics, type ViewerMode } from "./index.ts";

export type UpstreamKind = "path" | "duplex";
export const UPSTREAM_KINDS: readonly UpstreamKind[] = ["path", "duplex"];

export class ProxyUnderTest {
  readonly pipes: DisplayPipe[] = [];
  /** The proxy's side of each viewer connection, in the order they came. */
  readonly sockets: WebSocket[] = [];
  readonly closed: DisplayPipeMetrics[] = [];

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  /**
   * `upstream: "path"` lets pipeDisplay open the socket itself, read in large reused buffers as
   * production's `{ fd }` is (display-socket.ts);
   * `"duplex"` hands it a plain net.Socket, the generic stream path.
   */
  static async start(socketPath: string, upstream: UpstreamKind, highWaterMark?: number): Promise<ProxyUnderTest> {
    const http = createServer();
    const wss = new WebSocketServer({
      server: http,
      ...DISPLAY_WEBSOCKET_OPTIONS,
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    const proxy = new ProxyUnderTest(http, wss, `ws://127.0.0.1:${port}`);
    wss.on("connection", (ws, request) => {
      const mode = new URL(request.url ?? "/", "http://x").searchParams.get("mode") as ViewerMode;
      const pipe = pipeDisplay({
        ws,
        upstream: upstream === "path" ? { path: socketPath } : connect(socketPath),
        mode,
        ...(highWaterMark ? { highWaterMark } : {}),
        onClose: (metrics) => proxy.closed.push(metrics),
      });
      proxy.pipes.push(pipe);
      proxy.sockets.push(ws);
    });
    return proxy;
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.close();
  }
}

/** A viewer that records every byte it receives. */
export class TestViewer {
  readonly ws: WebSocket;
  receivedBytes = 0;
  private readonly chunks: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, mode: ViewerMode) {
    this.ws = new WebSocket(`${url}/?mode=${mode}`, {
      perMessageDeflate: false,
    });
    this.ws.on("message", (data: Buffer) => {
      this.receivedBytes += data.length;
      // Keep only the start: flood tests would otherwise hold gigabytes.
      if (this.chunks.length < 16) this.chunks.push(data);
    });
    this.closed = new Promise((resolve) => this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  async open(): Promise<this> {
    await once(this.ws, "open");
    return this;
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
