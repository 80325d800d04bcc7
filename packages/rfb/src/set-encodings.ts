/**
 * Rewrites SetEncodings so the client never switches to a message format the
 * filter cannot frame from the client stream alone.
 *
 * ExtendedMouseButtons (-316): once a server confirms it, a PointerEvent whose
 * first mask bit is set grows from 6 to 7 bytes. Confirmation arrives inside a
 * FramebufferUpdate, which we would have to decode (ZRLE, Tight, ...) to see.
 * Withholding the encoding keeps PointerEvent at 6 bytes; the viewer loses
 * only the back/forward mouse buttons.
 */

/** Pseudo-encodings that would change client message framing if granted. */
export const WITHHELD_ENCODINGS: ReadonlySet<number> = new Set([-316]);

/** `message` is a complete SetEncodings message (4 + 4n bytes). */
export function withholdFramingEncodings(message: Uint8Array): Uint8Array {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const count = view.getUint16(2);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (!WITHHELD_ENCODINGS.has(view.getInt32(4 + 4 * i))) kept++;
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
    if (WITHHELD_ENCODINGS.has(encoding)) continue;
    outView.setInt32(at, encoding);
    at += 4;
  }
  return out;
}
