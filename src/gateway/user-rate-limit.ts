/** What the rate limit says about one message. */
export type RateVerdict = 'ok' | 'warn' | 'drop';

/**
 * Messages per user per minute, over a sliding window: past the limit the first message gets a
 * "slow down" reply (`warn`) and the rest of the window is dropped silently.
 */
export class UserRateLimit {
  private readonly seen = new Map<string, { times: number[]; warned: boolean }>();
  private checks = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one message of `user` and says whether to answer it. */
  check(user: string): RateVerdict {
    const now = this.now();
    // Now and then forget users quiet for a whole window, so the map does not grow without bound.
    if (++this.checks % 1_000 === 0) this.sweep(now);
    const entry = this.seen.get(user) ?? { times: [], warned: false };
    entry.times = entry.times.filter((time) => time > now - this.windowMs);
    if (entry.times.length < this.perMinute) {
      entry.times.push(now);
      entry.warned = false;
      this.seen.set(user, entry);
      return 'ok';
    }
    this.seen.set(user, entry);
    if (entry.warned) return 'drop';
    entry.warned = true;
    return 'warn';
  }

  private sweep(now: number): void {
    for (const [user, entry] of this.seen) {
      if (entry.times.every((time) => time <= now - this.windowMs)) this.seen.delete(user);
    }
  }
}
