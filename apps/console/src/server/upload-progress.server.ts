// An upload's task progress from the bytes relayed so far against its Content-Length: 5 % when the
// relay begins, 90 % when the last byte has gone to the host (the library row comes after). Writes
// to the task are chained, so a later figure never lands before an earlier one, and at most one
// every 250 ms.
const FROM = 5;
const TO = 90;
const EVERY_MS = 250;

export function withByteProgress(
  body: ReadableStream<Uint8Array>,
  total: number,
  task: { measure(percent: number): Promise<void> },
): ReadableStream<Uint8Array> {
  let received = 0;
  let shown = FROM;
  let at = 0;
  let writes = Promise.resolve();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        received += chunk.byteLength;
        const percent = Math.floor(FROM + ((TO - FROM) * Math.min(received, total)) / total);
        const now = Date.now();
        if (percent > shown && now - at >= EVERY_MS) {
          shown = percent;
          at = now;
          writes = writes.then(() => task.measure(percent)).catch(() => undefined);
        }
        out.enqueue(chunk);
      },
    }),
  );
}
