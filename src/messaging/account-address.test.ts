import { describe, expect, it } from 'vitest';
import { defaultTenantId } from './account-address.js';

describe('defaultTenantId', () => {
  it('is <platform>-<id> when the id is already a valid tenant id', () => {
    expect(defaultTenantId('telegram', '42')).toBe('telegram-42');
    expect(defaultTenantId('email', 'ana@example.com')).toBe('email-ana@example.com');
  });

  it('never lets two accounts share a tenant by sanitising or cutting', () => {
    const bang = defaultTenantId('email', 'a!b@x.test');
    const underscore = defaultTenantId('email', 'a_b@x.test');
    expect(underscore).toBe('email-a_b@x.test');
    expect(bang).toMatch(/^email-a_b@x\.test~[0-9a-f]{12}$/u);
    const long = (tail: string) => defaultTenantId('slack', `${'u'.repeat(200)}${tail}`);
    expect(long('1')).not.toBe(long('2'));
    expect(long('1').length).toBeLessThanOrEqual(128);
  });
});
