/**
 * Incremental filter of the RFB 3.7/3.8 client→server byte stream.
 *
 * An explicit state machine: version → security → clientInit → messages,
 * and any phase → failed through the one `fail` path. Bytes may arrive split
 * anywhere; a message is forwarded only once its type and size are known, so
 * a dropped message never leaks a byte. Memory is bounded: at most one
 * message (≤ ~4 KiB at the default caps) is ever held, and ClientCutText
 * bodies stream through.
 *
 * Why no server→client tracker: a client's bytes come in a fixed order
 * whatever the server says. The server's security offer is checked through
 * the client's answer (we accept None only; QEMU rejects an answer it did not
 * offer), and the one server grant that would change client framing,
 * ExtendedMouseButtons, is withheld in SetEncodings (set-encodings.ts).
 */
import { DEFAULT_LIMITS, frameClientMessage, maxBufferedMessageBytes, type ClientStreamLimits, type Framing } from "./client-messages.ts";
import { ForwardBuilder } from "./forward-builder.ts";
import { HANDSHAKE_STEPS, SHARED_CLIENT_INIT, checkProtocolVersion, checkSecurityType } from "./handshake.ts";
import type { RfbFailure } from "./rfb-failure.ts";
import { withholdFramingEncodings } from "./set-encodings.ts";
import type {
  ClientStreamEvent,
  ClientStreamOptions,
  ClientStreamPhase,
  ClientStreamResult,
  HandshakeStepName,
  ViewerMode,
} from "./client-stream-types.ts";

export type * from "./client-stream-types.ts";

type Frame =
  | Framing
  | {
      kind: "message";
      name: HandshakeStepName;
      class: "handshake";
      total: number;
      streamAfter?: undefined;
    };

const NEXT_PHASE: Readonly<Record<ClientStreamPhase, ClientStreamPhase | undefined>> = {
  version: "security",
  security: "clientInit",
  clientInit: "messages",
  messages: undefined,
  failed: undefined,
};

export class ClientStreamFilter {
  readonly mode: ViewerMode;
  private readonly limits: ClientStreamLimits;
  private currentPhase: ClientStreamPhase = "version";
  private failure: RfbFailure | undefined;
  // Holds the start of a message split across chunks; never more than one message.
  private readonly pending: Uint8Array;
  private pendingLength = 0;
  private streamRemaining = 0;
  private streamForwarded = false;
  // Events of the push in progress; a fresh array per push, handed to the caller.
  private events: ClientStreamEvent[] = [];

  constructor(options: ClientStreamOptions) {
    this.mode = options.mode;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.pending = new Uint8Array(maxBufferedMessageBytes(this.limits));
  }

  get phase(): ClientStreamPhase {
    return this.currentPhase;
  }

  /** Bytes of a half-received message held now; never more than `bufferCapacity`. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** The most this filter ever holds: its one buffer, sized once from the limits. */
  get bufferCapacity(): number {
    return this.pending.length;
  }

  /** True when no message is half-received (a clean place for the stream to end). */
  get atMessageBoundary(): boolean {
    return this.pendingLength === 0 && this.streamRemaining === 0;
  }

  push(chunk: Uint8Array): ClientStreamResult {
    const out = new ForwardBuilder(chunk);
    this.events = [];
    let at = 0;
    // Set when buffered bytes just completed a header: the message's size is
    // now knowable even if this chunk has no bytes left.
    let reframe = false;
    while (!this.failure && (at < chunk.length || reframe)) {
      reframe = false;
      if (this.streamRemaining > 0) {
        const take = Math.min(this.streamRemaining, chunk.length - at);
        if (this.streamForwarded) out.range(at, at + take);
        this.streamRemaining -= take;
        at += take;
        continue;
      }
      const head = this.pendingLength > 0 ? this.pending.subarray(0, this.pendingLength) : chunk.subarray(at);
      const frame = this.frameNext(head);
      if (frame.kind === "fail") {
        this.fail(frame.failure);
        break;
      }
      const target = frame.kind === "need" ? frame.bytes : (frame.streamAfter ?? frame.total);
      const wholeInChunk = this.pendingLength === 0 && chunk.length - at >= target;
      if (frame.kind === "message" && wholeInChunk) {
        // Fast path: the message (or its streamed header) lies inside this chunk.
        this.accept(frame, chunk.subarray(at, at + target), out, at);
        at += target;
        continue;
      }
      const take = Math.min(target - this.pendingLength, chunk.length - at);
      this.pending.set(chunk.subarray(at, at + take), this.pendingLength);
      this.pendingLength += take;
      at += take;
      if (frame.kind === "need") {
        reframe = this.pendingLength === target;
      } else if (this.pendingLength === target) {
        const whole = this.pending.slice(0, target);
        this.pendingLength = 0;
        this.accept(frame, whole, out, undefined);
      }
    }
    const forward = out.finish();
    if (this.failure) return { forward, events: this.events, failure: this.failure };
    return { forward, events: this.events };
  }

  private frameNext(head: Uint8Array): Frame {
    switch (this.currentPhase) {
      case "version":
      case "security":
      case "clientInit":
        return {
          kind: "message",
          class: "handshake",
          ...HANDSHAKE_STEPS[this.currentPhase],
        };
      case "messages":
        return frameClientMessage(head, this.limits);
      case "failed":
        throw new Error("ClientStreamFilter: framing after failure");
    }
  }

  /**
   * Handles one complete message (or a streamed message's header). `chunkAt`
   * is its offset in the pushed chunk, or undefined when it was reassembled.
   */
  private accept(
    frame: Exclude<Frame, { kind: "need" | "fail" }>,
    bytes: Uint8Array,
    out: ForwardBuilder,
    chunkAt: number | undefined,
  ): void {
    const forwardAsIs = (): void => {
      if (chunkAt === undefined) out.bytes(bytes);
      else out.range(chunkAt, chunkAt + bytes.length);
    };
    if (frame.class === "handshake") {
      const failure =
        frame.name === "ProtocolVersion"
          ? checkProtocolVersion(bytes)
          : frame.name === "SecurityType"
            ? checkSecurityType(bytes[0] ?? 0)
            : undefined;
      if (failure) return this.fail(failure);
      if (frame.name === "ClientInit") out.bytes(SHARED_CLIENT_INIT);
      else forwardAsIs();
      this.record(frame.name, "handshake", true, frame.total);
      this.transition(NEXT_PHASE[this.currentPhase]);
      return;
    }
    const forwarded = this.mode === "control" || frame.class === "passive";
    if (forwarded && frame.name === "SetEncodings") {
      const rewritten = withholdFramingEncodings(bytes, this.mode);
      if (rewritten === bytes) forwardAsIs();
      else out.bytes(rewritten);
    } else if (forwarded) {
      forwardAsIs();
    }
    if (frame.streamAfter !== undefined) {
      this.streamRemaining = frame.total - frame.streamAfter;
      this.streamForwarded = forwarded;
    }
    this.record(frame.name, frame.class, forwarded, frame.total);
  }

  private record(name: ClientStreamEvent["name"], cls: ClientStreamEvent["class"], forwarded: boolean, bytes: number): void {
    this.events.push({ name, class: cls, forwarded, bytes });
  }

  private transition(to: ClientStreamPhase | undefined): void {
    const allowed = to === "failed" || (to !== undefined && NEXT_PHASE[this.currentPhase] === to);
    if (!allowed) throw new Error(`ClientStreamFilter: illegal transition ${this.currentPhase} → ${to}`);
    this.currentPhase = to;
  }

  /** The single failure path: remember why, stop forwarding, drop buffered bytes. */
  private fail(failure: RfbFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.pendingLength = 0;
    this.streamRemaining = 0;
    this.transition("failed");
  }
}
