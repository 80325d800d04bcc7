/** A small typed QMP client over a unix socket. */
import { EventEmitter, once } from "node:events";
import type { Socket } from "node:net";
import { descriptorOf, sendWithDescriptor } from "./descriptors.ts";
import { encodeQmpCommand, LineSplitter, parseQmpMessage, type QmpEvent, type QmpGreeting, type QmpMessage } from "./qmp-protocol.ts";
import { connectUnix } from "./unix-connect.ts";

export type { QmpEvent, QmpGreeting } from "./qmp-protocol.ts";

/** QEMU refused a command; `qmpClass` is QMP's error class (GenericError, DeviceNotFound, …). */
export class QmpError extends Error {
  override name = "QmpError";
  constructor(
    readonly command: string,
    readonly qmpClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command}: ${desc} (${qmpClass})`);
  }
}
export class QmpClosedError extends Error {
  override name = "QmpClosedError";
}
export class QmpTimeoutError extends Error {
  override name = "QmpTimeoutError";
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  /** Total time allowed for the socket to appear, connect and finish the handshake. */
  timeoutMs?: number;
  /** Stop retrying early, e.g. when the QEMU process exited. */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  #socket: Socket;
  #lines = new LineSplitter();
  #pending = new Map<string, Pending>();
  #nextId = 1;
  #closed = false;
  #greeting: QmpGreeting | undefined;
  #greetingWaiter: ((g: QmpGreeting) => void) | undefined;
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      for (const line of this.#lines.push(chunk)) this.#onMessage(parseQmpMessage(line));
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.#closed = true;
        for (const [id, p] of this.#pending) {
          clearTimeout(p.timer);
          p.reject(new QmpClosedError(`QMP connection closed while waiting for '${p.command}'`));
          this.#pending.delete(id);
        }
        this.emit("close");
        resolve();
      });
    });
    socket.on("error", () => socket.destroy());
  }

  /** Connects (retrying while the socket does not exist yet), reads the greeting and negotiates capabilities. */
  static async connect(path: string, opts: ConnectOptions = {}): Promise<QmpClient> {
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const socket = await connectUnix(path, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: opts.signal });
    const client = new QmpClient(socket);
    try {
      await client.#waitGreeting(Math.max(1, deadline - Date.now()));
      await client.execute("qmp_capabilities", undefined, { timeoutMs: Math.max(1, deadline - Date.now()) });
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
  get greeting(): QmpGreeting | undefined {
    return this.#greeting;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    return this.#send(command, args, opts.timeoutMs, (line) => this.#socket.write(line));
  }

  /**
   * Sends `command` with the descriptor `fd` attached (SCM_RIGHTS), as `getfd` and `add-fd` want
   * it. QEMU keeps its own copy; the caller still owns and closes `fd`.
   */
  async executeWithDescriptor<T = unknown>(
    command: string,
    args: Record<string, unknown>,
    fd: number,
    opts: { timeoutMs?: number } = {},
  ): Promise<T> {
    // The command's bytes must not land in the middle of a queued one.
    if (this.#socket.writableLength > 0) await Promise.race([once(this.#socket, "drain"), this.closedPromise]);
    return this.#send(command, args, opts.timeoutMs, (line) => {
      const bytes = Buffer.from(line);
      const sent = sendWithDescriptor(descriptorOf(this.#socket), bytes, fd);
      if (sent < bytes.length) this.#socket.write(bytes.subarray(sent));
    });
  }

  #send<T>(
    command: string,
    args: Record<string, unknown> | undefined,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    write: (line: string) => void,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new QmpClosedError(`QMP connection is closed ('${command}')`));
    const id = `gh-${this.#nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new QmpTimeoutError(`QMP '${command}' got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        write(encodeQmpCommand(command, args, id));
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /** Resolves with the first event named `name` that `match` accepts. */
  waitEvent(name: string, opts: { timeoutMs: number; match?: (e: QmpEvent) => boolean }): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off("event", onEvent);
        this.off("close", onClose);
      };
      const onEvent = (e: QmpEvent) => {
        if (e.event === name && (!opts.match || opts.match(e))) {
          cleanup();
          resolve(e);
        }
      };
      const onClose = () => {
        cleanup();
        reject(new QmpClosedError(`QMP connection closed while waiting for event ${name}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new QmpTimeoutError(`no ${name} event within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      this.on("event", onEvent);
      this.once("close", onClose);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #onMessage(msg: QmpMessage): void {
    switch (msg.kind) {
      case "greeting":
        this.#greeting = msg;
        this.#greetingWaiter?.(msg);
        return;
      case "event":
        this.emit("event", msg);
        return;
      case "return":
      case "error": {
        const p = msg.id === undefined ? undefined : this.#pending.get(msg.id);
        if (!p || msg.id === undefined) return;
        this.#pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.kind === "return") p.resolve(msg.value);
        else p.reject(new QmpError(p.command, msg.errorClass, msg.desc));
      }
    }
  }

  #waitGreeting(timeoutMs: number): Promise<QmpGreeting> {
    if (this.#greeting) return Promise.resolve(this.#greeting);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new QmpTimeoutError(`no QMP greeting within ${timeoutMs} ms (is another client connected?)`)),
        timeoutMs,
      );
      this.#greetingWaiter = (g) => {
        clearTimeout(timer);
        resolve(g);
      };
      this.closedPromise.then(() => {
        clearTimeout(timer);
        reject(new QmpClosedError("QMP connection closed before the greeting"));
      });
    });
  }
}
