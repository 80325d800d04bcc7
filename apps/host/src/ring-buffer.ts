/** A bounded byte log: keeps the newest `capacity` bytes and counts every byte ever written. */
export class ByteRing {
  #chunks: Buffer[] = [];
  #size = 0;
  #total = 0;

  constructor(readonly capacity: number) {}

  push(data: Buffer): void {
    if (data.length === 0) return;
    const chunk = data.length > this.capacity ? data.subarray(data.length - this.capacity) : data;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    this.#total += data.length;
    while (this.#size > this.capacity) {
      const first = this.#chunks[0] as Buffer;
      const excess = this.#size - this.capacity;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
    // Many tiny chunks cost more than their bytes: merge once there are too many.
    if (this.#chunks.length > 256) this.#chunks = [Buffer.concat(this.#chunks)];
  }

  /** The newest `maxBytes` bytes. */
  tail(maxBytes = this.capacity): Buffer {
    const all = Buffer.concat(this.#chunks);
    return all.length > maxBytes ? all.subarray(all.length - maxBytes) : all;
  }

  /** Bytes ever pushed; the offset just after the newest byte. */
  get total(): number {
    return this.#total;
  }
  get size(): number {
    return this.#size;
  }
}
