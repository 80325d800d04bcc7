/**
 * Builders of raw RFB client→server messages, for tests and the benchmark.
 * Written from RFC 6143 and noVNC 1.7's wire formats; big-endian throughout.
 */
const bytes = (...parts: number[][]): Buffer => Buffer.from(parts.flat());
const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export const clientMessages = {
  version: (text = "RFB 003.008\n"): Buffer => Buffer.from(text, "latin1"),
  securityType: (type = 1): Buffer => bytes([type]),
  clientInit: (shared = 0): Buffer => bytes([shared]),

  setPixelFormat: (): Buffer => bytes([0, 0, 0, 0], [32, 24, 0, 1], u16(255), u16(255), u16(255), [0, 8, 16], [0, 0, 0]),
  setEncodings: (encodings: number[]): Buffer => bytes([2, 0], u16(encodings.length), ...encodings.map((e) => u32(e))),
  framebufferUpdateRequest: (incremental: boolean, x: number, y: number, w: number, h: number): Buffer =>
    bytes([3, incremental ? 1 : 0], u16(x), u16(y), u16(w), u16(h)),
  keyEvent: (down: boolean, keysym: number): Buffer => bytes([4, down ? 1 : 0, 0, 0], u32(keysym)),
  pointerEvent: (mask: number, x: number, y: number): Buffer => bytes([5, mask & 0x7f], u16(x), u16(y)),
  /** `extended` uses the extended-clipboard form: the length is sent negated. */
  clientCutText: (data: Uint8Array, extended = false): Buffer =>
    Buffer.concat([bytes([6, 0, 0, 0], u32(extended ? -data.length : data.length)), Buffer.from(data)]),
  enableContinuousUpdates: (enable: boolean, w: number, h: number): Buffer => bytes([150, enable ? 1 : 0], u16(0), u16(0), u16(w), u16(h)),
  clientFence: (flags: number, payload: Uint8Array): Buffer =>
    Buffer.concat([bytes([248, 0, 0, 0], u32(flags), [payload.length]), Buffer.from(payload)]),
  xvp: (op: number): Buffer => bytes([250, 0, 1, op]),
  setDesktopSize: (w: number, h: number, screens = 1): Buffer =>
    bytes(
      [251, 0],
      u16(w),
      u16(h),
      [screens, 0],
      ...Array.from({ length: screens }, (_, id) => [...u32(id), ...u16(0), ...u16(0), ...u16(w), ...u16(h), ...u32(0)]),
    ),
  qemuExtendedKeyEvent: (down: boolean, keysym: number, keycode: number): Buffer =>
    bytes([255, 0], u16(down ? 1 : 0), u32(keysym), u32(keycode)),
  qemuAudio: (operation: 0 | 1 | 2): Buffer =>
    operation === 2 ? bytes([255, 1], u16(2), [3, 2], u32(44100)) : bytes([255, 1], u16(operation)),
};

/** What noVNC sends before its first normal message (shared flag off, as noVNC's default). */
export function clientHandshake(shared = 0): Buffer {
  return Buffer.concat([clientMessages.version(), clientMessages.securityType(1), clientMessages.clientInit(shared)]);
}

/** The same handshake as the display server should receive it (shared forced on). */
export function forwardedHandshake(): Buffer {
  return clientHandshake(1);
}
