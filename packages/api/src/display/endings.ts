// Why a VM's display last ended, said to whoever was watching it: a viewer whose screen goes away
// is shown "the VM was shut down by X" rather than only "disconnected". In memory, per console
// process, like the viewer list; a start clears it.
import { displayViewers } from "./viewers.ts";
import { processWide } from "@guesthouse/shared/process-wide";

export interface DisplayEnding {
  reason: string;
  at: number;
}

class DisplayEndings {
  private endings = new Map<string, DisplayEnding>();
  /** Records why the display of `vmId` is ending and closes its viewers with that reason. */
  end(vmId: string, reason: string, now = Date.now()): void {
    this.endings.set(vmId, { reason, at: now });
    for (const { id } of displayViewers.forVm(vmId)) displayViewers.get(id)?.disconnect(reason);
  }
  /** The operation that would have ended it did not happen after all. */
  forget(vmId: string): void {
    this.endings.delete(vmId);
  }
  get(vmId: string): DisplayEnding | null {
    return this.endings.get(vmId) ?? null;
  }
}

export const displayEndings = processWide("display-endings", () => new DisplayEndings());

/** What each power operation that takes the screen away tells its viewers. */
export const ENDING_WORDS: Partial<Record<string, string>> = {
  shutdown: "shut down",
  powerOff: "powered off",
  save: "suspended (its state saved)",
};
