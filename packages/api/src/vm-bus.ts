// In-process fan-out of VM changes to browser subscriptions. On globalThis: Next's route bundle and
// the custom server are separate module instances in one process (docs/machine-facts.md: module state is not shared).
import { EventEmitter, on } from "node:events";
import { processWide } from "@guesthouse/shared/process-wide";

export type VmBusEvent =
  | { type: "state"; vmId: string; state: string; reason: string; at: number }
  | { type: "created" | "deleted"; vmId: string; at: number }
  /** The VM moved: it runs on `hostId` now (open displays and serial streams reconnect there). */
  | { type: "host"; vmId: string; hostId: string; at: number };

class VmBus {
  private emitter = new EventEmitter();
  private seq = 0;
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(event: VmBusEvent): void {
    this.emitter.emit("event", { ...event, seq: ++this.seq });
  }
  /** Yields events until `signal` aborts. */
  async *listen(signal?: AbortSignal): AsyncGenerator<VmBusEvent & { seq: number }> {
    for await (const [event] of on(this.emitter, "event", { signal })) yield event as VmBusEvent & { seq: number };
  }
}

export const vmBus = processWide("vm-bus", () => new VmBus());
