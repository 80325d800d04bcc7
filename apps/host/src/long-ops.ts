/**
 * Long host operations under way — a full clone's disk copy, a VM's state save — by the VM they are
 * for: how far each has got (from qemu-img's own progress, or QEMU's `query-migrate` bytes) and how
 * to cancel it. The console polls `vm.progress` while its task waits on the operation, and
 * `vm.cancel` stops it; the operation then removes what it had begun and fails with CancelledError.
 */
import { CancelledError } from "./errors.ts";

export interface LongOpView {
  operation: string;
  /** 0–100. */
  percent: number;
  detail: string;
}

/** What a long operation is handed: the signal that cancels it, and where it reports how far it got. */
export interface LongOpControl {
  signal: AbortSignal;
  report: (percent: number, detail?: string) => void;
  /** Refreshes the figures when someone asks (QEMU's counters are read on demand). */
  pollWith: (poll: () => Promise<void>) => void;
}

interface LongOp extends LongOpView {
  abort: AbortController;
  poll?: () => Promise<void>;
}

export class LongOps {
  readonly #ops = new Map<string, LongOp>();

  /** Runs `work` as the long operation of `id`; `work` reports progress and watches `signal`. */
  /** `what` names it in the refusal a canceller reads (the VM's name, where the caller knows it). */
  async run<T>(id: string, operation: string, work: (op: LongOpControl) => Promise<T>, what = `${operation} of '${id}'`): Promise<T> {
    const op: LongOp = { operation, percent: 0, detail: "", abort: new AbortController() };
    this.#ops.set(id, op);
    try {
      return await work({
        signal: op.abort.signal,
        report: (percent, detail = "") => {
          op.percent = Math.max(0, Math.min(100, percent));
          op.detail = detail;
        },
        pollWith: (poll) => {
          op.poll = poll;
        },
      });
    } catch (err) {
      if (op.abort.signal.aborted) throw new CancelledError(`${what} was cancelled; what it had begun was removed`);
      throw err;
    } finally {
      if (this.#ops.get(id) === op) this.#ops.delete(id);
    }
  }

  async progress(id: string): Promise<LongOpView | null> {
    const op = this.#ops.get(id);
    if (!op) return null;
    await op.poll?.().catch(() => undefined);
    return { operation: op.operation, percent: Math.round(op.percent * 10) / 10, detail: op.detail };
  }

  /** Asks the operation of `id` to stop; false when none is under way. */
  cancel(id: string): boolean {
    const op = this.#ops.get(id);
    if (!op || op.abort.signal.aborted) return false;
    op.abort.abort();
    return true;
  }
}
