/**
 * Rewrites SetEncodings so the client never switches to a message format the
 * filter cannot frame from the client stream alone.
 *
 * ExtendedMouseButtons (-316): once a server confirms it, a PointerEvent whose
 * first mask bit is set grows from 6 to 7 bytes. Confirmation arrives inside a
 * FramebufferUpdate, which we would have to decode (ZRLE, Tight, ...) to see.
 * Withholding the encoding keeps PointerEvent at 6 bytes; the viewer loses
 * only the back/forward mouse buttons.
 *
 * ExtendedClipboard (0xC0A1E5CE), for view-only viewers: QEMU 7.2 joins a VNC
 * client to the guest's clipboard (qemu-vdagent) only when that client asked
 * for the extended clipboard, and sends the clipboard only in that format. A
 * view-only viewer that never asked gets no ServerCutText at all, so the
 * guest's clipboard is kept from it without decoding the server's stream;
 * its ClientCutText is dropped as input.
 */

/** Pseudo-encodings that would change client message framing if granted. */
export const WITHHELD_ENCODINGS: ReadonlySet<number> = new Set([-316]);

/** The extended clipboard pseudo-encoding, as the signed 32-bit value SetEncodings carries. */
export const EXTENDED_CLIPBOARD = 0xc0a1e5ce | 0;
const WITHHELD_FROM_VIEWERS: ReadonlySet<number> = new Set([...WITHHELD_ENCODINGS, EXTENDED_CLIPBOARD]);

/** `message` is a complete SetEncodings message (4 + 4n bytes). */
export function withholdFramingEncodings(message: Uint8Array, mode: "view" | "control" = "control"): Uint8Array {
  const withheld = mode === "view" ? WITHHELD_FROM_VIEWERS : WITHHELD_ENCODINGS;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const count = view.getUint16(2);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (!withheld.has(view.getInt32(4 + 4 * i))) kept++;
  }
  // The common case (nothing withheld) forwards the caller's bytes untouched.
  if (kept === count) return message;

  const out = new Uint8Array(4 + 4 * kept);
  const outView = new DataView(out.buffer);
  out[0] = message[0] ?? 2;
  outView.setUint16(2, kept);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const encoding = view.getInt32(4 + 4 * i);
    if (withheld.has(encoding)) continue;
    outView.setInt32(at, encoding);
    at += 4;
  }
  return out;
}
