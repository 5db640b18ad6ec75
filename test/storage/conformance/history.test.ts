import { describe, expect } from 'vitest';
import { indexTokens } from '../../../src/text/tokenizer.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, everything, newMemory, scopeOf, seed, t0 } from './fixtures.js';

describe.each(backends)('history on $name', (backend) => {
  const { it, context } = conformance(backend, 'history');

  it('records ADD, UPDATE and DELETE through the engine, oldest first', async () => {
    const mnemos = await context.engine();
    const id = (await mnemos.memories.add({ scope: alice, text: '住在杭州', sync: true }))
      .memoryIds[0]!;
    await mnemos.memories.update({ scope: alice, id }, { text: '住在上海' });
    await mnemos.memories.update({ scope: alice, id }, { salience: 0.2 });
    await mnemos.memories.delete({ scope: alice, id });
    const history = await mnemos.memories.history({ scope: alice, id });
    expect(
      history.map(({ event, oldText, newText, reason }) => ({ event, oldText, newText, reason })),
    ).toEqual([
      { event: 'ADD', oldText: null, newText: '住在杭州', reason: 'ingest' },
      { event: 'UPDATE', oldText: '住在杭州', newText: '住在上海', reason: 'api' },
      { event: 'UPDATE', oldText: '住在上海', newText: '住在上海', reason: 'api' },
      { event: 'DELETE', oldText: '住在上海', newText: null, reason: 'api' },
    ]);
    for (const entry of history) {
      expect(entry.memoryId).toBe(id);
      expect(entry.id).toEqual(expect.any(String));
      expect(Date.parse(entry.createdAt)).toBeGreaterThan(0);
    }
    expect(new Set(history.map((entry) => entry.id)).size).toBe(history.length);
  });

  it('records INVALIDATE and delete-by-scope with their reasons and times', async () => {
    const { storage } = context;
    const [old, other] = await seed(storage, [
      newMemory(scopeOf(alice), 'Works at Acme'),
      newMemory(scopeOf(alice, 'other'), 'Has a cat'),
    ]);
    await storage.memories.apply(
      'mnemos',
      alice,
      [
        {
          type: 'update',
          id: old!.id,
          reason: 'contradicted',
          patch: { validTo: t0 + 1000, tokens: indexTokens('Works at Acme').join(' ') },
        },
      ],
      t0 + 1000,
    );
    // Delete-by-scope forgets every undeleted memory of the pattern, the invalidated one included.
    expect(await storage.memories.deleteByScope('mnemos', everything(alice), t0 + 2000)).toBe(2);
    expect(
      await storage.memories.delete('mnemos', alice, old!.id, { reason: 'api', now: t0 + 3000 }),
    ).toBe(false);
    const history = await storage.memories.history('mnemos', alice, old!.id);
    expect(
      history.map(({ event, oldText, newText, reason, createdAt }) => ({
        event,
        oldText,
        newText,
        reason,
        createdAt,
      })),
    ).toEqual([
      {
        event: 'ADD',
        oldText: null,
        newText: 'Works at Acme',
        reason: 'ingest',
        createdAt: new Date(t0).toISOString(),
      },
      {
        event: 'INVALIDATE',
        oldText: 'Works at Acme',
        newText: null,
        reason: 'contradicted',
        createdAt: new Date(t0 + 1000).toISOString(),
      },
      {
        event: 'DELETE',
        oldText: 'Works at Acme',
        newText: null,
        reason: 'delete_by_scope',
        createdAt: new Date(t0 + 2000).toISOString(),
      },
    ]);
    const [invalidated] = await storage.memories.get('mnemos', alice, [old!.id], {
      includeDeleted: true,
    });
    expect(invalidated).toMatchObject({
      validTo: new Date(t0 + 1000).toISOString(),
      deletedAt: new Date(t0 + 2000).toISOString(),
    });
    const otherHistory = await storage.memories.history('mnemos', alice, other!.id);
    expect(otherHistory.map(({ event, reason, createdAt }) => [event, reason, createdAt])).toEqual([
      ['ADD', 'ingest', new Date(t0 + 1).toISOString()],
      ['DELETE', 'delete_by_scope', new Date(t0 + 2000).toISOString()],
    ]);
  });

  it('keeps history rows of the same instant in the order they were written', async () => {
    const { storage } = context;
    const [memory] = await seed(storage, [newMemory(scopeOf(alice), 'v1')]);
    const update = (text: string) => ({
      type: 'update' as const,
      id: memory!.id,
      reason: 'llm_update',
      patch: { text, tokens: text },
    });
    await storage.memories.apply('mnemos', alice, [update('v2'), update('v3'), update('v4')], t0);
    expect(
      (await storage.memories.history('mnemos', alice, memory!.id)).map((entry) => entry.newText),
    ).toEqual(['v1', 'v2', 'v3', 'v4']);
  });
});
