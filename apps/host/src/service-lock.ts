/** One host service per data folder: two would fight over the same QEMUs' single QMP connection. */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class LockHeldError extends Error {
  override name = "LockHeldError";
}

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function acquireLock(root: string): () => void {
  const file = join(root, "service.lock");
  if (heldHere.has(file)) throw new LockHeldError(`another host service in this process already uses ${root}`);
  let holder: number | undefined;
  try {
    holder = Number.parseInt(readFileSync(file, "utf8"), 10);
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && alive(holder)) {
    throw new LockHeldError(`another host service (pid ${holder}) already uses ${root}`);
  }
  writeFileSync(file, `${process.pid}\n`);
  heldHere.add(file);
  return () => {
    heldHere.delete(file);
    rmSync(file, { force: true });
  };
}
