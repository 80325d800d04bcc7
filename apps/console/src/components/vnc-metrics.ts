// Wraps the display WebSocket noVNC uses, to measure what a person feels: screen updates per
// second, bytes per second, and the time from an input message to the next screen data.
const INPUT_TYPES = new Set([4, 5, 255]); // KeyEvent, PointerEvent, QEMU extended key event

export interface VncFigures {
  updatesPerSecond: number;
  bytesPerSecond: number;
  inputLatencyMs: number | null;
}

export function instrumentSocket(ws: WebSocket, report: (f: VncFigures) => void): () => void {
  let bytes = 0;
  let updates = 0;
  let pendingInputAt: number | null = null;
  let latency: number | null = null;
  const send = ws.send.bind(ws);
  ws.send = (data: ArrayBufferLike | ArrayBufferView | Blob | string) => {
    const first =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)[0]
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, 1)[0]
          : undefined;
    if (first !== undefined && INPUT_TYPES.has(first) && pendingInputAt === null) pendingInputAt = performance.now();
    send(data as ArrayBuffer);
  };
  const onMessage = (e: MessageEvent) => {
    const buf = e.data as ArrayBuffer;
    bytes += buf.byteLength;
    // Heuristic: QEMU starts each FramebufferUpdate (type 0) in a fresh WebSocket message.
    if (buf.byteLength >= 4 && new Uint8Array(buf, 0, 1)[0] === 0) updates++;
    if (pendingInputAt !== null) {
      const sample = performance.now() - pendingInputAt;
      latency = latency === null ? sample : latency * 0.8 + sample * 0.2;
      pendingInputAt = null;
    }
  };
  ws.addEventListener("message", onMessage);
  const timer = setInterval(() => {
    report({ updatesPerSecond: updates, bytesPerSecond: bytes, inputLatencyMs: latency });
    updates = 0;
    bytes = 0;
  }, 1000);
  return () => {
    clearInterval(timer);
    ws.removeEventListener("message", onMessage);
  };
}
