// A task's progress from its host's own figures (qemu-img's copy, QEMU's migration bytes) while the
// task waits on a long host call: `vm.progress` is polled and mapped into the task's span.
import { setTimeout as delay } from "node:timers/promises";
import type { HostClient } from "./host-gateway.ts";
import type { TaskHandle } from "./tasks.ts";

const POLL_MS = 400;
/** A log line at every quarter, so the log stays short. */
const LOG_EVERY = 25;

export async function withHostProgress<T>(
  task: TaskHandle,
  host: HostClient,
  opId: string,
  call: Promise<T>,
  span: [from: number, to: number] = [10, 90],
): Promise<T> {
  let settled = false;
  const done = call.finally(() => {
    settled = true;
  });
  const quiet = done.catch(() => undefined);
  let shown = span[0];
  let logged = 0;
  while (!settled) {
    await Promise.race([quiet, delay(POLL_MS)]);
    if (settled) break;
    const p = await host.vm.progress.query({ id: opId }).catch(() => null);
    if (!p) continue;
    const at = Math.floor(span[0] + ((span[1] - span[0]) * p.percent) / 100);
    if (at <= shown) continue;
    shown = at;
    if (p.percent - logged >= LOG_EVERY) {
      logged = p.percent - (p.percent % LOG_EVERY);
      await task.log(`${p.operation}: ${Math.floor(p.percent)}%${p.detail ? ` (${p.detail})` : ""}`);
    }
    await task.measure(at);
  }
  return done;
}
