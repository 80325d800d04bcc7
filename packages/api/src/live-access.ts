// Access re-checked on long-lived connections (issue 11, ADR 0062): every stream and display a
// signed-in user holds open registers what it relies on (its session, and a permission on a VM or
// none). A sweep every LIVE_RECHECK_MS re-reads those sessions and grants, and ends what is no
// longer allowed with a reason the viewer is shown: signing out, a disabled user, a reset password
// (which ends the user's sessions) or a revoked grant closes the connection within that bound.
// One mechanism for vm.events, task.events, serial.stream and display WebSockets alike.
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import type { Permission } from "@guesthouse/shared/permissions";
import { processWide } from "@guesthouse/shared/process-wide";
import { can, loadAccess, type Access } from "./authz.ts";
import type { SessionUser } from "./context.ts";

export const LIVE_RECHECK_MS = 2_000;

export interface LiveHold {
  sessionId: string;
  userId: string;
  /** What the connection needs on `vmId` (or globally); absent: only a valid session. */
  permission?: Permission;
  vmId?: string;
  /** Called once, with the reason, when the session or the permission is gone. */
  end(reason: string): void;
  /** The user's access as last read: a stream that filters per event (vm.events) reads it here. */
  access?: Access;
}

export const SESSION_ENDED = "your session ended (signed out, or your account was changed): sign in again";

class LiveAccess {
  private holds = new Set<LiveHold>();
  private db: Db | undefined;

  /** Registers a connection; the returned function unregisters it (when it closes by itself). */
  register(hold: LiveHold, db: Db): () => void {
    void this.registerChecked(hold, db);
    return () => this.unregister(hold);
  }

  /**
   * Registers and checks at once (a ticket or stream opened just after a sign-out does not get
   * 2 s); resolves when that first check is done, with whether the hold is still open.
   */
  async registerChecked(hold: LiveHold, db: Db): Promise<boolean> {
    this.db = db;
    this.holds.add(hold);
    await this.check([hold]);
    return this.holds.has(hold);
  }

  unregister(hold: LiveHold): void {
    this.holds.delete(hold);
  }

  get size(): number {
    return this.holds.size;
  }

  /** One sweep over every open connection; run every LIVE_RECHECK_MS by the console. */
  async sweep(): Promise<void> {
    await this.check([...this.holds]);
  }

  private async check(holds: LiveHold[]): Promise<void> {
    const db = this.db;
    if (!db || holds.length === 0) return;
    const sessionIds = [...new Set(holds.map((h) => h.sessionId))];
    const sessions = await db.session.findMany({
      where: { id: { in: sessionIds } },
      select: { id: true, expiresAt: true, user: { select: { id: true, disabled: true } } },
    });
    const now = Date.now();
    const valid = new Map(sessions.filter((s) => s.expiresAt.getTime() > now && !s.user.disabled).map((s) => [s.id, s.user.id]));
    const accessByUser = new Map<string, Access>();
    for (const hold of holds) {
      if (!this.holds.has(hold)) continue;
      if (valid.get(hold.sessionId) !== hold.userId) {
        this.endHold(hold, SESSION_ENDED);
        continue;
      }
      let access = accessByUser.get(hold.userId);
      if (!access) accessByUser.set(hold.userId, (access = await loadAccess(db, hold.userId)));
      hold.access = access;
      if (hold.permission && !can(access, hold.permission, hold.vmId))
        this.endHold(hold, `your access was changed: you no longer have the '${hold.permission}' permission here`);
    }
  }

  private endHold(hold: LiveHold, reason: string) {
    if (!this.holds.delete(hold)) return;
    hold.end(reason);
  }
}

export const liveAccess = processWide("live-access", () => new LiveAccess());

/** Runs the sweep every LIVE_RECHECK_MS until stopped; a failed sweep (the DB away) is tried again next time. */
export function startLiveAccessSweep(onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    liveAccess
      .sweep()
      .catch(onError)
      .finally(() => (running = false));
  }, LIVE_RECHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** A subscription's view of its hold: a signal that also aborts when access ends, and the reason. */
export interface LiveWatch {
  signal: AbortSignal;
  hold: LiveHold;
  /** True once access ended the stream (not when the client went away). */
  readonly ended: boolean;
  /** Unregisters (the stream is closing, whatever the cause). */
  close(): void;
  /** After the stream's loop: the reason the viewer is shown, as the stream's error. */
  throwIfEnded(): void;
}

/**
 * Registers a subscription and waits for its first check, so a stream opened on a stale connection
 * (a WebSocket whose session has just ended) yields nothing before it is ended.
 */
export async function watchLive(
  ctx: { db: Db; user: SessionUser; access: Access },
  signal: AbortSignal | undefined,
  need: { permission?: Permission; vmId?: string } = {},
): Promise<LiveWatch> {
  const ac = new AbortController();
  let reason: string | null = null;
  const hold: LiveHold = {
    sessionId: ctx.user.sessionId,
    userId: ctx.user.id,
    ...need,
    access: ctx.access,
    end: (why) => {
      reason = why;
      ac.abort();
    },
  };
  await liveAccess.registerChecked(hold, ctx.db);
  const unregister = () => liveAccess.unregister(hold);
  if (reason) throw endedError(reason);
  return {
    signal: signal ? AbortSignal.any([signal, ac.signal]) : ac.signal,
    hold,
    get ended() {
      return reason !== null;
    },
    close: unregister,
    throwIfEnded() {
      if (reason) throw endedError(reason);
    },
  };
}

/** The stream's error for why access ended it: the session (UNAUTHORIZED) or a permission (FORBIDDEN). */
function endedError(reason: string): TRPCError {
  return new TRPCError({ code: reason === SESSION_ENDED ? "UNAUTHORIZED" : "FORBIDDEN", message: reason });
}
