/** A VM's serial port: attached to QEMU's serial.sock while it runs, logged into a bounded ring. */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { connectUnix } from "@guesthouse/qemu/unix-connect";
import { ByteRing } from "./ring-buffer.ts";

export interface SerialChunk {
  /** Offset of the chunk's first byte in the VM's serial output since the service started. */
  offset: number;
  data: Buffer;
}

export class SerialConsole extends EventEmitter<{ data: [SerialChunk] }> {
  readonly ring: ByteRing;
  #socket: Socket | undefined;

  constructor(capacity: number) {
    super();
    this.setMaxListeners(0);
    this.ring = new ByteRing(capacity);
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  async attach(path: string, timeoutMs = 5000): Promise<void> {
    this.detach();
    const socket = await connectUnix(path, { timeoutMs });
    this.#socket = socket;
    socket.on("data", (data: Buffer) => {
      const offset = this.ring.total;
      this.ring.push(data);
      this.emit("data", { offset, data });
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
    });
  }

  detach(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  /** Resolves once the bytes are handed to the kernel. */
  write(data: Buffer): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error("serial console is not attached"));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }
}
