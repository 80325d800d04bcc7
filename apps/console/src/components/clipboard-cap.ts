// How much text goes to the guest's clipboard at once. The host's RFB filter refuses a clipboard
// message over 1 MiB (and would close the console); this cap is well under it, with a message.
export const CLIPBOARD_MAX_BYTES = 256 * 1024;

/** Why `text` cannot be sent to the guest's clipboard, or null. */
export function clipboardRefusal(text: string): string | null {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes <= CLIPBOARD_MAX_BYTES) return null;
  return `That text is ${Math.ceil(bytes / 1024)} KiB; the guest's clipboard takes at most ${CLIPBOARD_MAX_BYTES / 1024} KiB at a time.`;
}
