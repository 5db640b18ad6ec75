import { describe, expect } from 'vitest';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob } from './fixtures.js';

describe.each(backends)('token usage on $name', (backend) => {
  const { it, context } = conformance(backend, 'usage');

  it('reads zero for a tenant that used nothing', async () => {
    expect(await context.storage.usage.totals(alice)).toEqual({ input: 0, output: 0 });
    expect(
      await context.storage.usage.totals(alice, { sessionId: 's1', day: '2026-01-01' }),
    ).toEqual({ input: 0, output: 0 });
  });

  it('adds to a session and day, and sums by session, by day, by both and in all', async () => {
    const { usage } = context.storage;
    await usage.add(alice, 's1', '2026-01-01', { input: 100, output: 10 });
    await usage.add(alice, 's1', '2026-01-01', { input: 50, output: 5 });
    await usage.add(alice, 's1', '2026-01-02', { input: 7, output: 3 });
    await usage.add(alice, 's2', '2026-01-02', { input: 1_000, output: 200 });
    expect(await usage.totals(alice)).toEqual({ input: 1_157, output: 218 });
    expect(await usage.totals(alice, { sessionId: 's1' })).toEqual({ input: 157, output: 18 });
    expect(await usage.totals(alice, { day: '2026-01-02' })).toEqual({ input: 1_007, output: 203 });
    expect(await usage.totals(alice, { sessionId: 's1', day: '2026-01-01' })).toEqual({
      input: 150,
      output: 15,
    });
    expect(await usage.totals(alice, { sessionId: 's3' })).toEqual({ input: 0, output: 0 });
  });

  it('keeps tenants apart, the same tenant id of another app included', async () => {
    const { usage } = context.storage;
    await usage.add(alice, 's1', '2026-01-01', { input: 1, output: 2 });
    await usage.add(bob, 's1', '2026-01-01', { input: 10, output: 20 });
    await usage.add(aliceElsewhere, 's1', '2026-01-01', { input: 100, output: 200 });
    expect(await usage.totals(alice)).toEqual({ input: 1, output: 2 });
    expect(await usage.totals(bob, { sessionId: 's1' })).toEqual({ input: 10, output: 20 });
    expect(await usage.totals(aliceElsewhere, { day: '2026-01-01' })).toEqual({
      input: 100,
      output: 200,
    });
  });

  it('counts every concurrent add, from two storages on the same data', async () => {
    const { storage } = context;
    const other = await context.openAnother();
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? storage : other).usage.add(alice, 's1', '2026-01-01', {
          input: 3,
          output: 1,
        }),
      ),
    );
    expect(await storage.usage.totals(alice, { sessionId: 's1' })).toEqual({
      input: 120,
      output: 40,
    });
  });

  it('sums past the 32-bit range', async () => {
    const { usage } = context.storage;
    await usage.add(alice, 's1', '2026-01-01', { input: 2_000_000_000, output: 1 });
    await usage.add(alice, 's2', '2026-01-01', { input: 2_000_000_000, output: 1 });
    expect(await usage.totals(alice)).toEqual({ input: 4_000_000_000, output: 2 });
  });
});
