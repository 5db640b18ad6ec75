import { describe, expect } from 'vitest';
import { type AgentDefinition, agentDefinitionSchema } from '../../../src/core/agent-definition.js';
import { MnemosError } from '../../../src/core/errors.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, t0 } from './fixtures.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A validated definition with defaults applied, as the service hands it to storage. */
function definition(name: string, fields: Record<string, unknown> = {}): AgentDefinition {
  return agentDefinitionSchema.parse({ name, description: `The ${name} agent`, ...fields });
}

/** The error a promise rejects with, which must be a MnemosError. */
async function errorOf(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

describe.each(backends)('agent definitions on $name', (backend) => {
  const { it, context } = conformance(backend, 'agents');

  it('saves a definition as version 1 and reads it back whole', async () => {
    const { storage } = context;
    expect(await storage.agents.get(alice, 'support')).toBeNull();
    const support = definition('support', {
      llm: { model: 'gpt-4o-mini', temperature: 0.2, fallback: ['openai/gpt-4o'] },
      system_prompt: 'You help customers of the shop. 你好',
      tools: [
        'web',
        { type: 'openapi', name: 'orders', spec_url: 'https://shop.example/openapi.json' },
      ],
      memory: { enabled: false },
      skills: ['refund-order'],
      max_iter: 6,
      limits: { max_tokens_per_turn: 20_000 },
    });
    const saved = await storage.agents.save(alice, { definition: support }, t0);
    const expected = {
      definition: support,
      origin: 'tenant',
      version: 1,
      createdAt: iso(t0),
      updatedAt: iso(t0),
    };
    expect(saved).toEqual(expected);
    expect(await storage.agents.get(alice, 'support')).toEqual(expected);
    // Defaults applied on the way in are still there on the way out.
    expect(saved.definition.memory).toEqual({ enabled: false, notes: true });
  });

  it('counts versions up on each save, keeping the creation time', async () => {
    const { storage } = context;
    await storage.agents.save(alice, { definition: definition('support') }, t0);
    const second = await storage.agents.save(
      alice,
      { definition: definition('support', { description: 'v2' }), expectedVersion: 1 },
      t0 + 10,
    );
    expect(second).toMatchObject({ version: 2, createdAt: iso(t0), updatedAt: iso(t0 + 10) });
    const third = await storage.agents.save(
      alice,
      { definition: definition('support', { description: 'v3' }) },
      t0 + 20,
    );
    expect(third.version).toBe(3);
    expect((await storage.agents.get(alice, 'support'))?.definition.description).toBe('v3');
  });

  it('refuses a save made from a stale version, changing nothing', async () => {
    const { storage } = context;
    await storage.agents.save(alice, { definition: definition('support') }, t0);
    await storage.agents.save(
      alice,
      { definition: definition('support', { description: 'v2' }), expectedVersion: 1 },
      t0 + 1,
    );
    const stale = await errorOf(
      storage.agents.save(
        alice,
        { definition: definition('support', { description: 'lost' }), expectedVersion: 1 },
        t0 + 2,
      ),
    );
    expect(stale.code).toBe('conflict');
    expect(stale.details).toEqual({ name: 'support', version: 2 });
    expect(stale.message).toContain('the stored version is 2');
    const exists = await errorOf(
      storage.agents.save(alice, { definition: definition('support'), expectedVersion: 0 }, t0),
    );
    expect(exists.code).toBe('conflict');
    const gone = await errorOf(
      storage.agents.save(alice, { definition: definition('absent'), expectedVersion: 3 }, t0),
    );
    expect(gone.code).toBe('conflict');
    expect(gone.message).toContain('no longer exists');
    expect(await storage.agents.get(alice, 'support')).toMatchObject({
      version: 2,
      definition: { description: 'v2' },
    });
    expect(await storage.agents.get(alice, 'absent')).toBeNull();
    const created = await storage.agents.save(
      alice,
      { definition: definition('fresh'), expectedVersion: 0 },
      t0,
    );
    expect(created.version).toBe(1);
  });

  it('lists by name and deletes, saying whether there was one', async () => {
    const { storage } = context;
    for (const name of ['writer', 'support', 'analyst'])
      await storage.agents.save(alice, { definition: definition(name) }, t0);
    expect((await storage.agents.list(alice)).map((record) => record.definition.name)).toEqual([
      'analyst',
      'support',
      'writer',
    ]);
    expect(await storage.agents.delete(alice, 'support')).toBe(true);
    expect(await storage.agents.delete(alice, 'support')).toBe(false);
    expect(await storage.agents.get(alice, 'support')).toBeNull();
    expect((await storage.agents.list(alice)).map((record) => record.definition.name)).toEqual([
      'analyst',
      'writer',
    ]);
    // Saved again after a delete, a name starts over.
    expect(
      (await storage.agents.save(alice, { definition: definition('support') }, t0)).version,
    ).toBe(1);
  });

  it('keeps each tenant apart: same names, own versions, no reads or deletes across', async () => {
    const { storage } = context;
    await storage.agents.save(
      alice,
      { definition: definition('support', { description: 'A' }) },
      t0,
    );
    await storage.agents.save(
      alice,
      { definition: definition('support', { description: 'A2' }), expectedVersion: 1 },
      t0,
    );
    await storage.agents.save(bob, { definition: definition('support', { description: 'B' }) }, t0);
    expect(await storage.agents.get(aliceElsewhere, 'support')).toBeNull();
    expect(await storage.agents.list(aliceElsewhere)).toEqual([]);
    expect(await storage.agents.get(bob, 'support')).toMatchObject({
      version: 1,
      definition: { description: 'B' },
    });
    expect(await storage.agents.delete(aliceElsewhere, 'support')).toBe(false);
    expect(await storage.agents.delete(bob, 'support')).toBe(true);
    expect(await storage.agents.get(alice, 'support')).toMatchObject({
      version: 2,
      definition: { description: 'A2' },
    });
    // A version check is against the tenant's own row, not another's.
    const error = await errorOf(
      storage.agents.save(bob, { definition: definition('support'), expectedVersion: 2 }, t0),
    );
    expect(error.code).toBe('conflict');
  });

  it('lets only one of two concurrent saves from the same version win', async () => {
    const { storage } = context;
    await storage.agents.save(alice, { definition: definition('support') }, t0);
    const other = await context.openAnother();
    try {
      const outcomes = await Promise.allSettled([
        storage.agents.save(
          alice,
          { definition: definition('support', { description: 'one' }), expectedVersion: 1 },
          t0 + 1,
        ),
        other.agents.save(
          alice,
          { definition: definition('support', { description: 'two' }), expectedVersion: 1 },
          t0 + 2,
        ),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason.code).toBe('conflict');
      expect((await storage.agents.get(alice, 'support'))?.version).toBe(2);
    } finally {
      await other.close();
    }
  });
});
