// In-process fan-out of task changes to the Tasks panel's subscriptions (on globalThis for the
// same reason as vm-bus.ts: Next's bundle and the custom server are separate module instances).
import { EventEmitter, on } from "node:events";
import { processWide } from "@guesthouse/shared/process-wide";

export interface TaskBusEvent {
  taskId: string;
  vmId: string | null;
}

class TaskBus {
  private emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(event: TaskBusEvent): void {
    this.emitter.emit("task", event);
  }
  async *listen(signal?: AbortSignal): AsyncGenerator<TaskBusEvent> {
    for await (const [event] of on(this.emitter, "task", { signal })) yield event as TaskBusEvent;
  }
}

export const taskBus = processWide("task-bus", () => new TaskBus());
