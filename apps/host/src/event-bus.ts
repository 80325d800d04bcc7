/** In-memory publish/subscribe with numbered events and a short history for `lastEventId` resumption. */
import { EventEmitter, on } from "node:events";

export interface Numbered<T> {
  id: string;
  event: T;
}

/** The events after a subscriber's `lastEventId` are no longer held: it must read the full state again. */
export class EventGapError extends Error {
  constructor(lastEventId: string) {
    super(`the events after ${lastEventId} are no longer held; read the current state again`);
  }
}

export class EventBus<T> {
  // Start from the clock so ids stay increasing across service restarts.
  #seq = Date.now() * 1000;
  #history: Numbered<T>[] = [];
  #emitter = new EventEmitter();

  constructor(readonly historySize = 1000) {
    this.#emitter.setMaxListeners(0);
  }

  /** The id of the newest event: a subscriber that passes it as `lastEventId` misses nothing after it. */
  get lastId(): string {
    return String(this.#seq);
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
        // Ids run one by one, so a first held id past last + 1 means events were dropped (or this is
        // another run of the service): say so, rather than resume with a hole in the stream.
        const oldest = this.#history[0] ? Number(this.#history[0].id) : this.#seq + 1;
        if (oldest > last + 1) throw new EventGapError(opts.lastEventId!);
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
