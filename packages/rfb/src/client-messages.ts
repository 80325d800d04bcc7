/**
 * Framing of RFB client→server messages after the handshake (RFC 6143 §7.5
 * plus the extensions noVNC 1.7 can send). Given the first bytes of a message
 * it answers "need more bytes", "this message is N bytes long", or a failure.
 * It never looks at more than the bytes needed to learn the length.
 */
import { policyFailure, protocolFailure, type RfbFailure } from "./rfb-failure.ts";

/** `input` messages act on the guest; a view-only viewer must not send them. */
export type MessageClass = "input" | "passive";

export type ClientMessageName =
  | "SetPixelFormat"
  | "SetEncodings"
  | "FramebufferUpdateRequest"
  | "KeyEvent"
  | "PointerEvent"
  | "ClientCutText"
  | "EnableContinuousUpdates"
  | "ClientFence"
  | "Xvp"
  | "SetDesktopSize"
  | "QemuExtendedKeyEvent"
  | "QemuAudio";

export interface ClientStreamLimits {
  /** SetEncodings count cap; noVNC sends ~25, the wire allows 65535. */
  readonly maxEncodings: number;
  /** ClientCutText payload cap; the wire allows 2 GiB. */
  readonly maxCutTextBytes: number;
}

export const DEFAULT_LIMITS: ClientStreamLimits = {
  maxEncodings: 1024,
  maxCutTextBytes: 1024 * 1024,
};

/** RFB's fence payload is at most 64 bytes by specification. */
const MAX_FENCE_PAYLOAD = 64;

export type Framing =
  | { readonly kind: "need"; readonly bytes: number }
  | {
      readonly kind: "message";
      readonly name: ClientMessageName;
      readonly class: MessageClass;
      readonly total: number;
      /**
       * Bytes after which the body may be streamed instead of buffered.
       * Only ClientCutText uses it, so the buffer stays small even at the cap.
       */
      readonly streamAfter?: number;
    }
  | { readonly kind: "fail"; readonly failure: RfbFailure };

interface FixedMessage {
  readonly name: ClientMessageName;
  readonly class: MessageClass;
  readonly total: number;
}

// Messages whose size is known from their type byte alone.
const FIXED_SIZE: ReadonlyMap<number, FixedMessage> = new Map([
  [0, { name: "SetPixelFormat", class: "passive", total: 20 }],
  [3, { name: "FramebufferUpdateRequest", class: "passive", total: 10 }],
  [4, { name: "KeyEvent", class: "input", total: 8 }],
  // A 6-byte PointerEvent is only safe because SetEncodings filtering strips
  // ExtendedMouseButtons, which would make it 7 bytes (see set-encodings.ts).
  [5, { name: "PointerEvent", class: "input", total: 6 }],
  [150, { name: "EnableContinuousUpdates", class: "passive", total: 10 }],
  // xvp (shutdown/reboot/reset the machine) is the most powerful input of all.
  [250, { name: "Xvp", class: "input", total: 4 }],
]);

const need = (bytes: number): Framing => ({ kind: "need", bytes });
const fail = (failure: RfbFailure): Framing => ({ kind: "fail", failure });
const message = (name: ClientMessageName, cls: MessageClass, total: number, streamAfter?: number): Framing => ({
  kind: "message",
  name,
  class: cls,
  total,
  ...(streamAfter ? { streamAfter } : {}),
});

const u16 = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const s32 = (b: Uint8Array, at: number): number =>
  ((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0);

/** `head` holds at least one byte: the message type. */
export function frameClientMessage(head: Uint8Array, limits: ClientStreamLimits): Framing {
  const type = head[0] ?? -1;
  const fixed = FIXED_SIZE.get(type);
  if (fixed) return message(fixed.name, fixed.class, fixed.total);
  switch (type) {
    case 2:
      return frameSetEncodings(head, limits);
    case 6:
      return frameClientCutText(head, limits);
    case 248:
      return frameClientFence(head);
    case 251:
      // Resizing the guest's screen changes what every other viewer sees.
      if (head.length < 8) return need(8);
      return message("SetDesktopSize", "input", 8 + 16 * (head[6] ?? 0));
    case 255:
      return frameQemuMessage(head);
    default:
      return fail(protocolFailure(`unknown client message type ${type}`));
  }
}

function frameSetEncodings(head: Uint8Array, limits: ClientStreamLimits): Framing {
  if (head.length < 4) return need(4);
  const count = u16(head, 2);
  if (count > limits.maxEncodings) {
    return fail(policyFailure(`SetEncodings with ${count} encodings exceeds ${limits.maxEncodings}`));
  }
  return message("SetEncodings", "passive", 4 + 4 * count);
}

function frameClientCutText(head: Uint8Array, limits: ClientStreamLimits): Framing {
  if (head.length < 8) return need(8);
  // The extended-clipboard form sends the length negated; its size is |len|.
  const length = Math.abs(s32(head, 4));
  if (length > limits.maxCutTextBytes) {
    return fail(policyFailure(`ClientCutText of ${length} bytes exceeds ${limits.maxCutTextBytes}`));
  }
  return message("ClientCutText", "input", 8 + length, 8);
}

function frameClientFence(head: Uint8Array): Framing {
  if (head.length < 9) return need(9);
  const length = head[8] ?? 0;
  if (length > MAX_FENCE_PAYLOAD) {
    return fail(protocolFailure(`ClientFence payload of ${length} bytes exceeds 64`));
  }
  return message("ClientFence", "passive", 9 + length);
}

function frameQemuMessage(head: Uint8Array): Framing {
  if (head.length < 2) return need(2);
  const subtype = head[1] ?? -1;
  if (subtype === 0) return message("QemuExtendedKeyEvent", "input", 12);
  if (subtype !== 1) return fail(protocolFailure(`unknown QEMU client message subtype ${subtype}`));
  if (head.length < 4) return need(4);
  const operation = u16(head, 2);
  // 0 enable, 1 disable: no body; 2 set-format: format u8, channels u8, freq u32.
  if (operation === 0 || operation === 1) return message("QemuAudio", "passive", 4);
  if (operation === 2) return message("QemuAudio", "passive", 10);
  return fail(protocolFailure(`unknown QEMU audio operation ${operation}`));
}

/** The longest message this module ever asks to buffer whole. */
export function maxBufferedMessageBytes(limits: ClientStreamLimits): number {
  return Math.max(4 + 4 * limits.maxEncodings, 8 + 16 * 255, 9 + MAX_FENCE_PAYLOAD, 20);
}
