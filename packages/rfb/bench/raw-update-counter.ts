/**
 * Counts whole FramebufferUpdates in a server→client byte stream, for a
 * client that asked for Raw encoding at 32 bpp only (as the benchmark does).
 * Pixel data is skipped, never copied.
 */
export class RawUpdateCounter {
  private readonly head = Buffer.alloc(12);
  private have = 0;
  private need = 1;
  private state: "type" | "update" | "rect" | "skip" = "type";
  private rectsLeft = 0;
  private skipLeft = 0;

  constructor(private readonly onUpdate: () => void) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "skip") {
        const take = Math.min(this.skipLeft, chunk.length - i);
        this.skipLeft -= take;
        i += take;
        if (this.skipLeft === 0) this.endRect();
        continue;
      }
      const take = Math.min(this.need - this.have, chunk.length - i);
      chunk.copy(this.head, this.have, i, i + take);
      this.have += take;
      i += take;
      if (this.have === this.need) this.onHeader();
    }
  }

  private expect(state: RawUpdateCounter["state"], bytes: number): void {
    this.state = state;
    this.need = bytes;
    this.have = 0;
  }

  private onHeader(): void {
    if (this.state === "type") {
      if (this.head[0] === 0) return this.expect("update", 3);
      if (this.head[0] === 2) return this.expect("type", 1); // Bell
      throw new Error(`unexpected server message ${this.head[0]}`);
    }
    if (this.state === "update") {
      this.rectsLeft = this.head.readUInt16BE(1);
      if (this.rectsLeft === 0) return this.finishUpdate();
      return this.expect("rect", 12);
    }
    const encoding = this.head.readInt32BE(8);
    if (encoding !== 0) throw new Error(`unexpected encoding ${encoding}`);
    this.skipLeft = this.head.readUInt16BE(4) * this.head.readUInt16BE(6) * 4;
    this.state = "skip";
    if (this.skipLeft === 0) this.endRect();
  }

  private endRect(): void {
    if (--this.rectsLeft > 0) return this.expect("rect", 12);
    this.finishUpdate();
  }

  private finishUpdate(): void {
    this.expect("type", 1);
    this.onUpdate();
  }
}
