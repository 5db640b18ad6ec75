import { describe, expect, it } from 'vitest';
import { ModelBreaker, sharedBreaker } from './model-breaker.js';

function clocked(settings = { window: 5, failureRate: 0.5, minCalls: 4, cooldownMs: 1_000 }) {
  const clock = { now: 0 };
  return { breaker: new ModelBreaker(settings, () => clock.now), clock };
}

describe('ModelBreaker', () => {
  it('stays closed below min_calls, however many of them failed', () => {
    const { breaker } = clocked();
    for (let i = 0; i < 3; i++) breaker.failure('m');
    expect(breaker.state('m')).toBe('closed');
    expect(breaker.tryAcquire('m')).toBe(true);
    breaker.failure('m');
    expect(breaker.state('m')).toBe('open');
    expect(breaker.tryAcquire('m')).toBe(false);
  });

  it('opens when the failures of the last calls reach the rate, and not before', () => {
    const { breaker } = clocked();
    breaker.success('m');
    breaker.success('m');
    breaker.failure('m');
    expect(breaker.state('m')).toBe('closed');
    breaker.success('m');
    // 1 of 4 failed.
    expect(breaker.state('m')).toBe('closed');
    breaker.failure('m');
    // 2 of 5: still under half.
    expect(breaker.state('m')).toBe('closed');
    breaker.failure('m');
    // The window keeps 5: s, f, s, f, f — 3 of 5.
    expect(breaker.state('m')).toBe('open');
  });

  it('forgets calls older than the window', () => {
    const { breaker } = clocked();
    breaker.failure('m');
    breaker.failure('m');
    for (let i = 0; i < 5; i++) breaker.success('m');
    breaker.failure('m');
    breaker.failure('m');
    // The two early failures slid out: 2 of the last 5 failed.
    expect(breaker.state('m')).toBe('closed');
  });

  it('half-opens after the cooldown for one trial; a success closes it', () => {
    const { breaker, clock } = clocked();
    for (let i = 0; i < 4; i++) breaker.failure('m');
    clock.now = 999;
    expect(breaker.tryAcquire('m')).toBe(false);
    clock.now = 1_000;
    expect(breaker.state('m')).toBe('half_open');
    expect(breaker.tryAcquire('m')).toBe(true);
    // The trial is out: a concurrent turn does not get one too.
    expect(breaker.tryAcquire('m')).toBe(false);
    breaker.success('m');
    expect(breaker.state('m')).toBe('closed');
    // Closing starts a fresh window: one failure does not reopen it.
    breaker.failure('m');
    expect(breaker.state('m')).toBe('closed');
  });

  it('a failed trial reopens the circuit for another cooldown', () => {
    const { breaker, clock } = clocked();
    for (let i = 0; i < 4; i++) breaker.failure('m');
    clock.now = 1_500;
    expect(breaker.tryAcquire('m')).toBe(true);
    breaker.failure('m');
    expect(breaker.state('m')).toBe('open');
    clock.now = 2_499;
    expect(breaker.tryAcquire('m')).toBe(false);
    clock.now = 2_500;
    expect(breaker.tryAcquire('m')).toBe(true);
  });

  it('a trial that never reported frees its slot after another cooldown', () => {
    const { breaker, clock } = clocked();
    for (let i = 0; i < 4; i++) breaker.failure('m');
    clock.now = 1_000;
    expect(breaker.tryAcquire('m')).toBe(true);
    clock.now = 1_999;
    expect(breaker.tryAcquire('m')).toBe(false);
    clock.now = 2_000;
    expect(breaker.tryAcquire('m')).toBe(true);
  });

  it('keeps one circuit per model name', () => {
    const { breaker } = clocked();
    for (let i = 0; i < 4; i++) breaker.failure('a');
    expect(breaker.state('a')).toBe('open');
    expect(breaker.state('b')).toBe('closed');
    expect(breaker.describe('a')).toMatch(/4 of the last 4 calls of a failed.*1970-01-01T00:00:01/);
  });

  it('shares one breaker per settings across the process', () => {
    const settings = { window: 3, failureRate: 1, minCalls: 3, cooldownMs: 5 };
    expect(sharedBreaker(settings)).toBe(sharedBreaker({ ...settings }));
    expect(sharedBreaker(settings)).not.toBe(sharedBreaker({ ...settings, window: 4 }));
  });
});
