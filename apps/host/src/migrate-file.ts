/**
 * Saving a VM's state to a file and loading it back, without a shell: QEMU migrates into a unix
 * socket we listen on and we write the stream to disk; loading hands QEMU the file as an fd.
 */
import { createServer } from "node:net";
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { QmpClient, QmpEvent } from "@guesthouse/qemu/qmp";
import type { LongOpControl } from "./long-ops.ts";

const MIGRATION_DONE = ["completed", "failed", "cancelled"];
const isDone = (e: QmpEvent) => MIGRATION_DONE.includes(String(e.data.status));

async function enableMigrationEvents(qmp: QmpClient): Promise<void> {
  await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
}

async function failureDetail(qmp: QmpClient, status: string): Promise<string> {
  const info = await qmp.execute<{ "error-desc"?: string }>("query-migrate").catch(() => ({}) as { "error-desc"?: string });
  return info["error-desc"] ?? `migration ${status}`;
}

/** Streams the (stopped) guest's state into `file`; written to a temp name first, renamed when complete. */
export async function saveStateToFile(
  qmp: QmpClient,
  p: {
    socketPath: string;
    file: string;
    timeoutMs: number;
    /** Lets QEMU's own user connect (ADR 0025). */ shareSocket?: (path: string) => Promise<void>;
    /** Progress from `query-migrate` (RAM bytes sent of the total); aborting it runs `migrate_cancel`. */
    control?: LongOpControl;
  },
): Promise<number> {
  const tmp = `${p.file}.partial`;
  await rm(p.socketPath, { force: true });
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(p.socketPath, resolve).once("error", reject));
  try {
    await p.shareSocket?.(p.socketPath);
    let written: Promise<void> | undefined;
    server.once("connection", (sock) => {
      server.close();
      // flush: fsync before close, so a completed save survives a host crash.
      written = pipeline(sock, createWriteStream(tmp, { mode: 0o600, flush: true }));
      // A write that fails (a full disk) while QEMU is still sending is awaited below; until then
      // it must not count as unhandled, which would end the host service.
      written.catch(() => undefined);
    });
    try {
      await enableMigrationEvents(qmp);
      const done = qmp.waitEvent("MIGRATION", { timeoutMs: p.timeoutMs, match: isDone });
      if (p.control?.signal.aborted) throw new Error("cancelled before it began");
      await qmp.execute("migrate", { uri: `unix:${p.socketPath}` }).catch((err) => {
        done.catch(() => undefined);
        throw err;
      });
      watchMigration(qmp, p.control);
      const status = String((await done).data.status);
      if (status !== "completed") throw new Error(await failureDetail(qmp, status));
      if (!written) throw new Error("QEMU reported the migration complete but never connected");
      await written;
      const { size } = await stat(tmp);
      await rename(tmp, p.file);
      return size;
    } catch (err) {
      await written?.catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  } finally {
    server.close();
    await rm(p.socketPath, { force: true });
  }
}

/** Feeds a save's RAM figures to its long operation, and cancels the migration when it is aborted. */
function watchMigration(qmp: QmpClient, control: LongOpControl | undefined): void {
  if (!control) return;
  control.pollWith(async () => {
    const info = await qmp.execute<{ status?: string; ram?: { transferred?: number; total?: number; remaining?: number } }>(
      "query-migrate",
    );
    const { transferred = 0, total = 0 } = info.ram ?? {};
    if (total > 0) control.report((100 * transferred) / total, `${transferred} of ${total} RAM bytes written`);
  });
  const cancel = () => void qmp.execute("migrate_cancel").catch(() => undefined);
  if (control.signal.aborted) cancel();
  else control.signal.addEventListener("abort", cancel, { once: true });
}

/** Loads a state into a QEMU started with `-incoming defer` that holds the state file as `fd`. */
export async function loadStateFromFd(qmp: QmpClient, p: { fd: number; timeoutMs: number }): Promise<void> {
  await enableMigrationEvents(qmp);
  const done = qmp.waitEvent("MIGRATION", { timeoutMs: p.timeoutMs, match: isDone });
  await qmp.execute("migrate-incoming", { uri: `fd:${p.fd}` }).catch((err) => {
    done.catch(() => undefined);
    throw err;
  });
  const status = String((await done).data.status);
  if (status !== "completed") throw new Error(await failureDetail(qmp, status));
}
