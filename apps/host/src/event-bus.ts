/** In-memory publish/subscribe with numbered events and a short history for `lastEventId` resumption. */
import { EventEmitter, on } from "node:events";

export interface Numbered<T> {
  id: string;
  event: T;
}

export class EventBus<T> {
  // Start from the clock so ids stay increasing across service restarts.
  #seq = Date.now() * 1000;
  #history: Numbered<T>[] = [];
  #emitter = new EventEmitter();

  constructor(readonly historySize = 1000) {
    this.#emitter.setMaxListeners(0);
  }

  /** Publishes `event` (or what `make` builds from the event's own id, for events that carry it). */
  publish(event: T | ((id: number) => T)): string {
    const seq = ++this.#seq;
    const item = { id: String(seq), event: typeof event === "function" ? (event as (id: number) => T)(seq) : event };
    this.#history.push(item);
    if (this.#history.length > this.historySize) this.#history.shift();
    this.#emitter.emit("event", item);
    return item.id;
  }

  /** Events after `lastEventId` still in history, then live events, until `signal` aborts. */
  async *subscribe(opts: { signal?: AbortSignal; lastEventId?: string | null; filter?: (e: T) => boolean }): AsyncGenerator<Numbered<T>> {
    const filter = opts.filter ?? (() => true);
    // Listen before replaying so nothing published in between is lost.
    const live = on(this.#emitter, "event", { signal: opts.signal });
    let last = opts.lastEventId ? Number(opts.lastEventId) : Number.NaN;
    try {
      if (!Number.isNaN(last)) {
        for (const item of this.#history.filter((h) => Number(h.id) > last)) {
          if (filter(item.event)) yield item;
          last = Number(item.id);
        }
      }
      for await (const [item] of live as AsyncIterable<[Numbered<T>]>) {
        if (!Number.isNaN(last) && Number(item.id) <= last) continue;
        if (filter(item.event)) yield item;
      }
    } catch (err) {
      if ((err as Error).name !== "AbortError") throw err;
    } finally {
      await live.return?.();
    }
  }
}
