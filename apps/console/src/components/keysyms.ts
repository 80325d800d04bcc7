// "Paste as keystrokes": types text into the guest one key at a time, for guests without a
// clipboard agent (a BIOS, an installer, a text console). X11 keysyms: Latin-1 maps 1:1.
import type RFB from "@novnc/novnc";

const SPECIAL: Record<string, number> = { "\n": 0xff0d, "\r": 0xff0d, "\t": 0xff09, "\b": 0xff08 };

export function keysymFor(ch: string): number | null {
  if (SPECIAL[ch] !== undefined) return SPECIAL[ch];
  const code = ch.codePointAt(0);
  if (code === undefined) return null;
  if (code >= 0x20 && code <= 0xff) return code;
  return code <= 0x10ffff ? 0x01000000 + code : null; // Unicode keysyms
}

export function typeText(rfb: RFB, text: string): void {
  for (const ch of text) {
    const keysym = keysymFor(ch);
    if (keysym === null) continue;
    rfb.sendKey(keysym, null, true);
    rfb.sendKey(keysym, null, false);
  }
}
