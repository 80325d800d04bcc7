// Password-guess throttling (docs/decisions/0013-password-guess-throttling.md). An attempt is
// reserved, synchronously, before its password is checked, so attempts that arrive together (a
// tRPC batch, many requests at once) count against each other; a success gives its reservation
// back. Kept on globalThis because Next's bundled route code and the custom server are separate
// module instances.
import { processWide } from "@guesthouse/shared/process-wide";
export interface LimitVerdict {
  allowed: boolean;
  retryAfterS: number;
}

export interface Reservation extends LimitVerdict {
  /** Gives the attempt back: it did not count (a success, or an attempt refused by another limit). */
  release(): void;
}

const MAX_KEYS = 50_000;

export class AttemptLimiter {
  private attempts = new Map<string, number[]>();
  constructor(
    readonly maxAttempts: number,
    readonly windowMs: number,
  ) {}

  /** Counts an attempt on `key` now, or refuses it (then nothing is counted). */
  reserve(key: string, now = Date.now()): Reservation {
    const recent = this.recent(key, now);
    if (recent.length >= this.maxAttempts) {
      const oldest = recent[recent.length - this.maxAttempts] ?? now;
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)), release: () => {} };
    }
    if (!this.attempts.has(key) && this.attempts.size >= MAX_KEYS) this.sweep(now);
    recent.push(now);
    this.attempts.set(key, recent);
    let released = false;
    return {
      allowed: true,
      retryAfterS: 0,
      release: () => {
        if (released) return;
        released = true;
        const list = this.attempts.get(key);
        const at = list?.indexOf(now) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
      },
    };
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.attempts.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }

  /** Forgets expired keys; if every key is live (a flood of distinct keys), the oldest go. */
  private sweep(now: number): void {
    for (const [key, list] of this.attempts) if (!list.some((t) => now - t < this.windowMs)) this.attempts.delete(key);
    for (const key of this.attempts.keys()) {
      if (this.attempts.size < MAX_KEYS) break;
      this.attempts.delete(key);
    }
  }
}

/** Remembers, for a time, that something happened for a key: one audit row per refused burst. */
export class OncePerWindow {
  private until = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  first(key: string, now = Date.now()): boolean {
    if ((this.until.get(key) ?? 0) > now) return false;
    if (this.until.size >= MAX_KEYS) for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    if (this.until.size >= MAX_KEYS) this.until.clear();
    this.until.set(key, now + this.windowMs);
    return true;
  }
}

/** An IPv6 client is limited by its /64 (one machine often holds a whole /64); IPv4 by its address. */
export function addressKey(ip: string): string {
  const bare = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  if (!bare.includes(":")) return `addr:${bare}`;
  const [head = "", tail = ""] = bare.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = bare.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `addr:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

const WINDOW_MS = 15 * 60 * 1000;

export interface PasswordLimiters {
  /** Failed sign-ins from one address, whatever the account. */
  address: AttemptLimiter;
  /** Failed sign-ins at one account from one address: the one that stops a guesser, and only them. */
  accountAddress: AttemptLimiter;
  /** Failed sign-ins at one account from everywhere: past it, only addresses it signed in from before get through. */
  account: AttemptLimiter;
  /** Wrong current passwords when a signed-in user changes theirs. */
  changePassword: AttemptLimiter;
  /** (account, address) pairs that signed in successfully within the window. */
  known: KnownPairs;
  /** Which refused bursts have been audited already. */
  audited: OncePerWindow;
}

export class KnownPairs {
  private pairs = new Map<string, number>();
  constructor(private readonly keepMs: number) {}
  has(key: string, now = Date.now()): boolean {
    return (this.pairs.get(key) ?? 0) > now;
  }
  add(key: string, now = Date.now()): void {
    if (this.pairs.size >= MAX_KEYS) for (const [k, t] of this.pairs) if (t <= now) this.pairs.delete(k);
    if (this.pairs.size < MAX_KEYS) this.pairs.set(key, now + this.keepMs);
  }
}

export function createPasswordLimiters(): PasswordLimiters {
  return {
    address: new AttemptLimiter(20, WINDOW_MS),
    accountAddress: new AttemptLimiter(5, WINDOW_MS),
    account: new AttemptLimiter(50, WINDOW_MS),
    changePassword: new AttemptLimiter(5, WINDOW_MS),
    known: new KnownPairs(30 * 24 * 60 * 60 * 1000),
    audited: new OncePerWindow(WINDOW_MS),
  };
}

export const passwordLimiters = processWide("password-limiters", createPasswordLimiters);

export interface SignInVerdict {
  allowed: boolean;
  retryAfterS: number;
  /** The key whose limit refused (for auditing a burst once). */
  refusedBy?: string;
  /** Call after the password was right: the attempt does not count, and this address is now known for this account. */
  succeeded(): void;
}

/** Reserves one sign-in attempt at `email` from `ip` on every limit, before any password is checked. */
export function reserveSignIn(limiters: PasswordLimiters, email: string, ip: string, now = Date.now()): SignInVerdict {
  const addr = addressKey(ip);
  const account = `acct:${email.toLowerCase()}`;
  const pair = `${account}|${addr}`;
  const held: Reservation[] = [];
  const refuse = (r: LimitVerdict, key: string): SignInVerdict => {
    held.forEach((h) => h.release());
    return { allowed: false, retryAfterS: r.retryAfterS, refusedBy: key, succeeded: () => {} };
  };
  const byAddress = limiters.address.reserve(addr, now);
  if (!byAddress.allowed) return refuse(byAddress, addr);
  held.push(byAddress);
  const byPair = limiters.accountAddress.reserve(pair, now);
  if (!byPair.allowed) return refuse(byPair, pair);
  held.push(byPair);
  const byAccount = limiters.account.reserve(account, now);
  if (!byAccount.allowed && !limiters.known.has(pair, now)) return refuse(byAccount, account);
  if (byAccount.allowed) held.push(byAccount);
  return {
    allowed: true,
    retryAfterS: 0,
    succeeded: () => {
      held.forEach((h) => h.release());
      limiters.accountAddress.reset(pair);
      limiters.known.add(pair);
    },
  };
}
