/**
 * Telling a full disk apart from other failures. QEMU reports a RAM state it could not write as
 * "Input/output error", not ENOSPC, so after a failed write the filesystem itself is asked.
 */
import { statfs } from "node:fs/promises";
import { CapacityError } from "./errors.ts";

export async function freeBytes(dir: string): Promise<number | undefined> {
  const fs = await statfs(dir).catch(() => undefined);
  return fs ? fs.bavail * fs.bsize : undefined;
}

/** Whether an error says itself that the disk was full (Node's ENOSPC, or qemu-img's own words). */
function saysNoSpace(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === "ENOSPC" || /No space left on device/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs `f`, a write of up to `neededBytes` into `dir`'s filesystem. If it fails and that much is
 * not free, or the failure says so itself, the failure is the full disk's: a CapacityError saying
 * what failed and how much is free.
 */
export async function unlessDiskFull<T>(what: string, dir: string, neededBytes: number, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof CapacityError) throw err;
    const free = await freeBytes(dir);
    if (free === undefined || (free >= neededBytes && !saysNoSpace(err))) throw err;
    throw new CapacityError(
      `${what} failed: no space left on the host's disk (${free} bytes free, up to ${neededBytes} needed); free some space and try again`,
      { cause: err },
    );
  }
}
