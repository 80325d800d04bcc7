/**
 * One long operation made of several copies (a template capture: the RAM state, then each disk
 * that is flattened): each step's own percent becomes the whole operation's, weighted by the bytes
 * the step copies. A step of no bytes (a disk that is only renamed) moves nothing.
 */
import type { LongOpControl } from "./long-ops.ts";

export class CopySteps {
  readonly #total: number;

  constructor(
    readonly parent: LongOpControl,
    readonly bytes: number[],
  ) {
    this.#total = bytes.reduce((a, b) => a + b, 0);
  }

  /** The percent of the whole at which step `i` begins. */
  startOf(i: number): number {
    if (this.#total === 0) return 0;
    return (100 * this.bytes.slice(0, i).reduce((a, b) => a + b, 0)) / this.#total;
  }

  /** The control step `i` reports through; its own 0–100 lands in its share of the whole. */
  control(i: number, label: string): LongOpControl {
    const share = this.#total === 0 ? 0 : (100 * (this.bytes[i] ?? 0)) / this.#total;
    const from = this.startOf(i);
    // The step before may have left a poll of its own (QEMU's migration counters): it is done now.
    this.parent.pollWith(async () => undefined);
    if (share > 0) this.parent.report(from, `${label}: starting`);
    return {
      signal: this.parent.signal,
      report: (percent, detail = "") => this.parent.report(from + (share * percent) / 100, `${label}: ${detail}`),
      pollWith: (poll) => this.parent.pollWith(poll),
    };
  }
}
