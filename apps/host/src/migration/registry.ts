/** The moves this host takes part in, one per VM: what phase each is in, and how to stop it. */
import { InvalidStateError } from "../errors.ts";

export type SourcePhase = "mirroring" | "migrating" | "completing" | "switched-over" | "failed" | "cancelled";
export type TargetPhase = "waiting" | "received" | "failed";

export interface MigrationFigures {
  /** QEMU's own measure of the pause at the switch-over (source side, ms). */
  downtimeMs: number;
  /** QEMU's RAM migration time (ms). */
  ramMs: number;
  /** From the start of the disk mirrors to the mirrors ended after the switch-over (ms). */
  totalMs: number;
  ramBytes: number;
  diskBytes: number;
}

export interface SourceMove {
  role: "source";
  phase: SourcePhase;
  startedAt: number;
  abort: AbortController;
  figures?: MigrationFigures;
  error?: string;
}

export interface TargetMove {
  role: "target";
  phase: TargetPhase;
  startedAt: number;
  /** Resolves when QEMU has the whole stream, rejects when it failed or QEMU went away. */
  received: Promise<void>;
  error?: string;
}

export type Move = SourceMove | TargetMove;

export class MoveRegistry {
  readonly #moves = new Map<string, Move>();

  get(id: string): Move | undefined {
    return this.#moves.get(id);
  }

  /** Claims the VM for a move; a second one is refused in words. */
  claim<M extends Move>(id: string, move: M): M {
    const current = this.#moves.get(id);
    if (current && !(current.role === "source" && (current.phase === "failed" || current.phase === "cancelled"))) {
      throw new InvalidStateError(`VM '${id}' is already being moved (${current.role}, ${current.phase}); wait for it or cancel it`);
    }
    this.#moves.set(id, move);
    return move;
  }

  release(id: string, move: Move): void {
    if (this.#moves.get(id) === move) this.#moves.delete(id);
  }
}
