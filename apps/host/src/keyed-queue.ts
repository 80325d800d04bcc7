/** Runs tasks one at a time per key; different keys run in parallel. */
export class KeyedQueue {
  #tails = new Map<string, Promise<unknown>>();
  #busy = new Map<string, string>();

  run<T>(key: string, label: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(
      () => this.#exec(key, label, task),
      () => this.#exec(key, label, task),
    );
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  /** The label of the task running for `key`, if any. */
  busy(key: string): string | undefined {
    return this.#busy.get(key);
  }

  async #exec<T>(key: string, label: string, task: () => Promise<T>): Promise<T> {
    this.#busy.set(key, label);
    try {
      return await task();
    } finally {
      this.#busy.delete(key);
    }
  }
}
