import { describe, expect, it } from 'vitest';
import { delegateToolSchema } from './delegate-tool.js';
import { DelegationBudget, type DelegationLimits } from './delegation-budget.js';

const limits: DelegationLimits = {
  maxConcurrent: 2,
  timeoutMs: 1_000,
  maxIterations: 4,
  maxIterationsTotal: 10,
  maxTokensTotal: 1_000,
};

describe('DelegationBudget', () => {
  it('hands out slots up to max_concurrent, then in order as they are released', async () => {
    const budget = new DelegationBudget(limits);
    const never = new AbortController().signal;
    expect(await budget.acquire(never)).toBe(true);
    expect(await budget.acquire(never)).toBe(true);
    const started: string[] = [];
    const third = budget.acquire(never).then(() => started.push('third'));
    const fourth = budget.acquire(never).then(() => started.push('fourth'));
    await Promise.resolve();
    expect(started).toEqual([]);
    budget.release();
    await third;
    expect(started).toEqual(['third']);
    budget.release();
    await fourth;
    expect(started).toEqual(['third', 'fourth']);
  });

  it('gives up a wait when its signal aborts, without taking the slot', async () => {
    const budget = new DelegationBudget({ ...limits, maxConcurrent: 1 });
    const never = new AbortController().signal;
    await budget.acquire(never);
    const cancel = new AbortController();
    const waiting = budget.acquire(cancel.signal);
    cancel.abort();
    expect(await waiting).toBe(false);
    budget.release();
    // The slot the cancelled wait never took is free for the next.
    expect(await budget.acquire(never)).toBe(true);
  });

  it('reserves steps up to each child’s maximum, takes back the unused ones, and refuses at zero', () => {
    const budget = new DelegationBudget(limits);
    expect(budget.reserve()).toBe(4);
    expect(budget.reserve()).toBe(4);
    expect(budget.reserve()).toBe(2);
    expect(budget.reserve()).toBe(0);
    budget.settle(4, 1);
    expect(budget.reserve()).toBe(3);
  });

  it('aborts its signal once the tokens are spent, and then refuses new children', () => {
    const budget = new DelegationBudget(limits);
    budget.addTokens(600);
    expect(budget.signal.aborted).toBe(false);
    budget.addTokens(400);
    expect(budget.signal.aborted).toBe(true);
    expect(budget.tokens).toBe(1_000);
    expect(budget.reserve()).toBe(0);
  });
});

describe('delegate_task arguments', () => {
  it('take one goal or up to five tasks, not both and not more', () => {
    expect(delegateToolSchema.safeParse({ goal: 'a', toolsets: ['web'] }).success).toBe(true);
    expect(delegateToolSchema.safeParse({ tasks: [{ goal: 'a' }, { goal: 'b' }] }).success).toBe(
      true,
    );
    expect(delegateToolSchema.safeParse({}).success).toBe(false);
    expect(delegateToolSchema.safeParse({ goal: 'a', tasks: [{ goal: 'b' }] }).success).toBe(false);
    expect(delegateToolSchema.safeParse({ tasks: [{ goal: 'b' }], context: 'x' }).success).toBe(
      false,
    );
    const six = Array.from({ length: 6 }, (_, index) => ({ goal: `task ${index}` }));
    expect(delegateToolSchema.safeParse({ tasks: six }).success).toBe(false);
    expect(delegateToolSchema.safeParse({ goal: '   ' }).success).toBe(false);
  });
});
