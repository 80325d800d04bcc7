/** Shared helpers of the client-stream tests: a sample session and a runner. */
import { ClientStreamFilter } from "./client-stream.ts";
import type { ClientStreamEvent, ClientStreamLimits, RfbFailure, ViewerMode } from "./index.ts";
import { clientHandshake, clientMessages as m } from "./test-fixtures.ts";

export interface SampleMessage {
  readonly name: ClientStreamEvent["name"];
  readonly input: boolean;
  readonly bytes: Buffer;
}

/** One of each message noVNC 1.7 can send to QEMU, plus the rarer ones. */
export const SAMPLE_MESSAGES: readonly SampleMessage[] = [
  { name: "SetPixelFormat", input: false, bytes: m.setPixelFormat() },
  {
    name: "SetEncodings",
    input: false,
    bytes: m.setEncodings([7, 16, 5, 0, -223, -258, -308]),
  },
  {
    name: "FramebufferUpdateRequest",
    input: false,
    bytes: m.framebufferUpdateRequest(false, 0, 0, 720, 400),
  },
  { name: "KeyEvent", input: true, bytes: m.keyEvent(true, 0x61) },
  { name: "PointerEvent", input: true, bytes: m.pointerEvent(1, 10, 20) },
  {
    name: "ClientCutText",
    input: true,
    bytes: m.clientCutText(Buffer.from("secret")),
  },
  {
    name: "ClientCutText",
    input: true,
    bytes: m.clientCutText(Buffer.from([0, 0, 0, 1]), true),
  },
  {
    name: "EnableContinuousUpdates",
    input: false,
    bytes: m.enableContinuousUpdates(true, 720, 400),
  },
  {
    name: "ClientFence",
    input: false,
    bytes: m.clientFence(0x80000003, Buffer.from("ping")),
  },
  { name: "Xvp", input: true, bytes: m.xvp(2) },
  {
    name: "SetDesktopSize",
    input: true,
    bytes: m.setDesktopSize(1024, 768, 2),
  },
  {
    name: "QemuExtendedKeyEvent",
    input: true,
    bytes: m.qemuExtendedKeyEvent(true, 0x61, 0x1e),
  },
  { name: "QemuAudio", input: false, bytes: m.qemuAudio(0) },
  { name: "QemuAudio", input: false, bytes: m.qemuAudio(2) },
  {
    name: "FramebufferUpdateRequest",
    input: false,
    bytes: m.framebufferUpdateRequest(true, 0, 0, 720, 400),
  },
];

/** A whole session: noVNC's handshake (shared flag off) and every sample message. */
export function sampleSession(): Buffer {
  return Buffer.concat([clientHandshake(0), ...SAMPLE_MESSAGES.map((s) => s.bytes)]);
}

/** What the display server must receive for `sampleSession()` in `mode`. */
export function expectedForward(mode: ViewerMode): Buffer {
  const kept = SAMPLE_MESSAGES.filter((s) => mode === "control" || !s.input);
  return Buffer.concat([clientHandshake(1), ...kept.map((s) => s.bytes)]);
}

export interface FilterRun {
  readonly output: Buffer;
  readonly parts: Uint8Array[];
  readonly events: ClientStreamEvent[];
  readonly failure: RfbFailure | undefined;
  readonly filter: ClientStreamFilter;
}

export function runFilter(mode: ViewerMode, chunks: readonly Uint8Array[], limits?: Partial<ClientStreamLimits>): FilterRun {
  const filter = new ClientStreamFilter({
    mode,
    ...(limits ? { limits } : {}),
  });
  const parts: Uint8Array[] = [];
  const events: ClientStreamEvent[] = [];
  let failure: RfbFailure | undefined;
  for (const chunk of chunks) {
    const result = filter.push(chunk);
    parts.push(...result.forward);
    events.push(...result.events);
    failure ??= result.failure;
  }
  return { output: Buffer.concat(parts), parts, events, failure, filter };
}

/** Cuts `data` at the given sorted offsets. */
export function splitAt(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of offsets) {
    chunks.push(data.subarray(from, to));
    from = to;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

/** Runs after a valid handshake, which is where most malformed-input cases start. */
export function runAfterHandshake(mode: ViewerMode, body: Uint8Array, limits?: Partial<ClientStreamLimits>): FilterRun {
  return runFilter(mode, [clientHandshake(0), body], limits);
}
