import { describe, expect } from 'vitest';
import type { ReadScope } from '../../../src/core/scope.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, codeOf, everything, newMemory, scopeOf, seed, sorted } from './fixtures.js';

describe.each(backends)('scopes on $name', (backend) => {
  const { it, context } = conformance(backend, 'scopes');

  it('writes with the exact scope given, defaulting agent and run', async () => {
    const mnemos = await context.engine();
    const exact = { ...alice, agentId: 'planner', runId: 'run-7' };
    const [withScope] = (
      await mnemos.memories.add({ scope: exact, text: 'Exact scope', sync: true })
    ).memoryIds;
    const [withDefaults] = (
      await mnemos.memories.add({ scope: alice, text: 'Default scope', sync: true })
    ).memoryIds;
    expect((await mnemos.memories.get({ scope: alice, id: withScope! })).scope).toEqual(exact);
    expect((await mnemos.memories.get({ scope: alice, id: withDefaults! })).scope).toEqual(
      scopeOf(alice),
    );
  });

  it('rejects `*` and missing parts in writes before anything is stored', async () => {
    const mnemos = await context.engine();
    for (const scope of [
      { ...alice, agentId: '*' },
      { ...alice, runId: '*' },
      { ...alice, tenantId: '*' },
      { appId: 'app' },
      { ...alice, agentId: 'a*' },
    ]) {
      expect(
        await codeOf(mnemos.memories.add({ scope, text: 'Should not be stored', sync: true })),
      ).toBe('invalid_scope');
    }
    expect(await codeOf(mnemos.sessions.create({ ...alice, agentId: '*' }))).toBe('invalid_scope');
    expect(await codeOf(mnemos.profile.set({ appId: 'app', tenantId: '*' }, 'name', 'x'))).toBe(
      'invalid_scope',
    );
    await mnemos.memories.add({ scope: alice, text: 'The only one', sync: true });
    expect((await mnemos.memories.list({ scope: alice })).total).toBe(1);
    expect(await mnemos.memories.jobs({ scope: alice })).toHaveLength(1);
  });

  it('reads every agent and run of the tenant with `*`, or one exactly', async () => {
    const mnemos = await context.engine();
    const ids = new Map<string, string>();
    for (const [agentId, runId] of [
      ['planner', 'r1'],
      ['planner', 'r2'],
      ['coder', 'r1'],
    ]) {
      const job = await mnemos.memories.add({
        scope: { ...alice, agentId, runId },
        text: `Shared topic kayak from ${agentId} ${runId}`,
        sync: true,
      });
      ids.set(`${agentId}/${runId}`, job.memoryIds[0]!);
    }
    const listed = async (scope: Partial<ReadScope>) =>
      sorted((await mnemos.memories.list({ scope })).memories.map((memory) => memory.id));
    const searched = async (scope: Partial<ReadScope>) =>
      sorted(
        (await mnemos.memories.search({ scope, query: 'kayak' })).results.map(
          (result) => result.memory.id,
        ),
      );
    const expected = (...keys: string[]) => sorted(keys.map((key) => ids.get(key)!));

    for (const read of [listed, searched]) {
      expect(await read(alice)).toEqual(expected('planner/r1', 'planner/r2', 'coder/r1'));
      expect(await read({ ...alice, agentId: '*', runId: '*' })).toEqual(
        expected('planner/r1', 'planner/r2', 'coder/r1'),
      );
      expect(await read({ ...alice, agentId: 'planner' })).toEqual(
        expected('planner/r1', 'planner/r2'),
      );
      expect(await read({ ...alice, runId: 'r1' })).toEqual(expected('planner/r1', 'coder/r1'));
      expect(await read({ ...alice, agentId: 'planner', runId: 'r2' })).toEqual(
        expected('planner/r2'),
      );
      expect(await read({ ...alice, agentId: 'nobody' })).toEqual([]);
    }
    expect(await codeOf(mnemos.memories.list({ scope: { ...alice, agentId: 'plan*' } }))).toBe(
      'invalid_scope',
    );
    expect(
      await codeOf(
        mnemos.memories.search({ scope: { appId: 'app', tenantId: '*' }, query: 'kayak' }),
      ),
    ).toBe('invalid_scope');
  });

  it('deletes by scope pattern inside one tenant only', async () => {
    const mnemos = await context.engine();
    for (const [agentId, runId] of [
      ['planner', 'r1'],
      ['planner', 'r2'],
      ['coder', 'r1'],
    ]) {
      await mnemos.memories.add({
        scope: { ...alice, agentId, runId },
        text: `Note ${agentId} ${runId}`,
        sync: true,
      });
    }
    expect(
      await mnemos.memories.deleteByScope({ scope: { ...alice, agentId: 'planner', runId: 'r2' } }),
    ).toBe(1);
    expect(await mnemos.memories.deleteByScope({ scope: { ...alice, runId: 'r1' } })).toBe(2);
    expect(await mnemos.memories.deleteByScope({ scope: alice })).toBe(0);
    expect((await mnemos.memories.list({ scope: alice, includeDeleted: true })).total).toBe(3);
    expect((await mnemos.memories.list({ scope: alice })).total).toBe(0);
  });

  it('matches patterns the same way in the spec: list, count and delete', async () => {
    const { storage } = context;
    await seed(storage, [
      newMemory(scopeOf(alice, 'a', 'x'), 'ax'),
      newMemory(scopeOf(alice, 'a', 'y'), 'ay'),
      newMemory(scopeOf(alice, 'b', 'x'), 'bx'),
    ]);
    const texts = async (agentId: string, runId: string) =>
      sorted(
        (
          await storage.memories.list(
            'mnemos',
            { ...alice, agentId, runId },
            { limit: 10, offset: 0 },
          )
        ).map((memory) => memory.text),
      );
    expect(await texts('*', '*')).toEqual(['ax', 'ay', 'bx']);
    expect(await texts('a', '*')).toEqual(['ax', 'ay']);
    expect(await texts('*', 'x')).toEqual(['ax', 'bx']);
    expect(await texts('b', 'y')).toEqual([]);
    expect(await storage.memories.count('mnemos', { ...alice, agentId: '*', runId: 'x' })).toBe(2);
    expect(
      await storage.memories.deleteByScope(
        'mnemos',
        { ...alice, agentId: 'a', runId: '*' },
        Date.now(),
      ),
    ).toBe(2);
    expect(await texts('*', '*')).toEqual(['bx']);
    expect(
      await storage.memories.count('mnemos', everything(alice), { includeDeleted: true }),
    ).toBe(3);
  });
});
