/**
 * Collects the bytes to forward from one pushed chunk. Adjacent ranges of the
 * chunk are merged into one zero-copy subarray, so a chunk of whole, allowed
 * messages is forwarded as a single view of the caller's buffer.
 */
export class ForwardBuilder {
  private readonly parts: Uint8Array[] = [];
  private runStart = 0;
  private runEnd = 0;

  constructor(private readonly chunk: Uint8Array) {}

  /** Forwards chunk[start, end). */
  range(start: number, end: number): void {
    if (start === end) return;
    if (this.runEnd === start && this.runEnd > this.runStart) {
      this.runEnd = end;
      return;
    }
    this.flushRun();
    this.runStart = start;
    this.runEnd = end;
  }

  /** Forwards bytes that are not a view of the chunk (rewritten or reassembled). */
  bytes(data: Uint8Array): void {
    if (data.length === 0) return;
    this.flushRun();
    this.parts.push(data);
  }

  finish(): Uint8Array[] {
    this.flushRun();
    return this.parts;
  }

  private flushRun(): void {
    if (this.runEnd > this.runStart) {
      this.parts.push(this.chunk.subarray(this.runStart, this.runEnd));
    }
    this.runStart = 0;
    this.runEnd = 0;
  }
}
