// Reads WebSocket frame headers (RFC 6455 §5.2) in a byte stream the console passes through
// without decoding it: where frames end, how many payload bytes they carry, and what a close
// frame says. Payloads are skipped, never copied, except a close frame's (at most 125 bytes).

const OPCODE_CLOSE = 0x8;

export interface CloseFrame {
  code: number;
  reason: string;
}

export class FrameReader {
  /** Payload bytes of data frames (binary, text, continuation) so far. */
  payloadBytes = 0;
  /** The first close frame seen, once it is complete. */
  close: CloseFrame | null = null;

  private readonly header = Buffer.alloc(14);
  private have = 0;
  private remaining = 0;
  private opcode = 0;
  private mask: Buffer | null = null;
  private closePayload: Buffer | null = null;
  private closeAt = 0;

  /** True between frames: a frame written to the peer now would not split one. */
  get atBoundary(): boolean {
    return this.have === 0 && this.remaining === 0;
  }

  /**
   * Reads `chunk`. With `stopAtBoundary`, it stops where the frame in progress ends and returns
   * that offset (0 if already between frames); otherwise it reads it all and returns its length.
   */
  push(chunk: Uint8Array, stopAtBoundary = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary) return i;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        if (this.closePayload) this.copyClose(chunk.subarray(i, i + take));
        else if (this.opcode < OPCODE_CLOSE) this.payloadBytes += take;
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      this.header[this.have++] = chunk[i++]!;
      this.tryHeader();
    }
    return i;
  }

  private tryHeader(): void {
    if (this.have < 2) return;
    const masked = (this.header[1]! & 0x80) !== 0;
    const len7 = this.header[1]! & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const size = 2 + extra + (masked ? 4 : 0);
    if (this.have < size) return;
    const length = extra === 2 ? this.header.readUInt16BE(2) : extra === 8 ? Number(this.header.readBigUInt64BE(2)) : len7;
    this.opcode = this.header[0]! & 0x0f;
    this.mask = masked ? Buffer.from(this.header.subarray(size - 4, size)) : null;
    this.have = 0;
    this.remaining = length;
    this.closePayload = this.opcode === OPCODE_CLOSE && this.close === null && length <= 125 ? Buffer.alloc(length) : null;
    this.closeAt = 0;
    if (length === 0) this.endFrame();
  }

  private copyClose(part: Uint8Array): void {
    for (const byte of part) {
      const key = this.mask ? this.mask[this.closeAt % 4]! : 0;
      this.closePayload![this.closeAt++] = byte ^ key;
    }
  }

  private endFrame(): void {
    if (this.opcode === OPCODE_CLOSE && this.close === null) {
      const payload = this.closePayload ?? Buffer.alloc(0);
      this.close = {
        code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
        reason: payload.subarray(2).toString("utf8"),
      };
    }
    this.closePayload = null;
  }
}

/** An unmasked close frame, as a server sends it (the reason cut to fit 123 bytes). */
export function serverCloseFrame(code: number, reason: string): Buffer {
  let text = Buffer.from(reason, "utf8");
  if (text.length > 123)
    text = Buffer.from(
      text
        .subarray(0, 123)
        .toString("utf8")
        .replace(/\uFFFD+$/, ""),
      "utf8",
    );
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x80 | OPCODE_CLOSE;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}
