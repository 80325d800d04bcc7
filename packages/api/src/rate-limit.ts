// Login throttling per account and per address: a sliding window of failures. Kept on globalThis
// because Next's bundled route code and the custom server are separate module instances.
export interface LimitVerdict {
  allowed: boolean;
  retryAfterS: number;
}

export class FailureLimiter {
  private failures = new Map<string, number[]>();
  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  check(key: string, now = Date.now()): LimitVerdict {
    const recent = this.recent(key, now);
    if (recent.length < this.maxFailures) return { allowed: true, retryAfterS: 0 };
    const oldest = recent[recent.length - this.maxFailures] ?? now;
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) };
  }

  fail(key: string, now = Date.now()): void {
    const recent = this.recent(key, now);
    recent.push(now);
    this.failures.set(key, recent);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }
}

const store = globalThis as unknown as { __ghLoginLimiters?: { account: FailureLimiter; address: FailureLimiter } };
export const loginLimiters = (store.__ghLoginLimiters ??= {
  account: new FailureLimiter(5, 15 * 60 * 1000),
  address: new FailureLimiter(20, 15 * 60 * 1000),
});
