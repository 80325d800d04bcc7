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

/** One key as noVNC sends it: an X11 keysym, and the KeyboardEvent.code noVNC maps to a QEMU scancode. */
export interface Key {
  keysym: number;
  code: string;
}

export const KEYS = {
  ctrl: { keysym: 0xffe3, code: "ControlLeft" },
  alt: { keysym: 0xffe9, code: "AltLeft" },
  del: { keysym: 0xffff, code: "Delete" },
  tab: { keysym: 0xff09, code: "Tab" },
  printScreen: { keysym: 0xff61, code: "PrintScreen" },
  super: { keysym: 0xffeb, code: "MetaLeft" },
} satisfies Record<string, Key>;

/** F1…F12: keysyms 0xffbe…0xffc9. */
export function functionKey(n: number): Key {
  return { keysym: 0xffbe + n - 1, code: `F${n}` };
}

/** Presses the keys in order and releases them in reverse, as a person plays a chord. */
export function sendChord(rfb: RFB, keys: readonly Key[]): void {
  for (const key of keys) rfb.sendKey(key.keysym, key.code, true);
  for (const key of [...keys].reverse()) rfb.sendKey(key.keysym, key.code, false);
}
