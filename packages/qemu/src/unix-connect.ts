import { createConnection, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

export class ConnectTimeoutError extends Error {
  override name = "ConnectTimeoutError";
}

/**
 * QEMU creates its sockets a few ms after it starts: retry while the socket is missing or not yet
 * listening (ENOENT/ECONNREFUSED), with a short backoff, until `timeoutMs` or `signal` ends it.
 */
export async function connectUnix(path: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Socket> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 5;
  for (;;) {
    try {
      return await connectOnce(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ECONNREFUSED") throw err;
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error(String(opts.signal.reason));
      if (Date.now() + wait > deadline) throw new ConnectTimeoutError(`socket ${path} did not accept a connection in time (${code})`);
      await delay(wait);
      wait = Math.min(wait * 2, 50);
    }
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}
