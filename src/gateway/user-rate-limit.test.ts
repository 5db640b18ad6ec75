import { describe, expect, it } from 'vitest';
import { UserRateLimit } from './user-rate-limit.js';

describe('UserRateLimit', () => {
  it('allows the limit per window, warns once, drops the rest, and lets the user in again later', () => {
    let now = 0;
    const limit = new UserRateLimit(2, () => now);
    expect(['a', 'a', 'a', 'a', 'b'].map((user) => limit.check(user))).toEqual([
      'ok',
      'ok',
      'warn',
      'drop',
      'ok',
    ]);
    now = 30_000;
    expect(limit.check('a')).toBe('drop');
    now = 60_001;
    expect(limit.check('a')).toBe('ok');
  });
});
