import { connect, type Socket } from "node:net";

/**
 * Just enough QMP for the image tests (the product's QMP client lives in @guesthouse/qemu):
 * negotiate, run commands one at a time, ignore events.
 */
export class QmpProbe {
  private buffer = "";
  private waiting: { resolve: (msg: Record<string, unknown>) => void; reject: (err: Error) => void } | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line !== "") this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    // A reset when QEMU exits surfaces as 'close' below; without this listener it would crash the test run.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.waiting?.reject(new Error("QMP socket closed"));
      this.waiting = null;
    });
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ("event" in msg) return;
    const waiter = this.waiting;
    this.waiting = null;
    waiter?.resolve(msg);
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Connects once QEMU has created the socket; QEMU creates it within a fraction of a second. */
  static async open(path: string, timeoutMs = 10_000): Promise<QmpProbe> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once("error", reject);
        });
        const probe = new QmpProbe(socket);
        await probe.next(); // greeting
        await probe.execute("qmp_capabilities");
        return probe;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + "\n");
    const msg = await reply;
    if ("error" in msg) throw new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }

  close(): void {
    this.socket.destroy();
  }
}
