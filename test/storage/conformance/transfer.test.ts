import { describe, expect } from 'vitest';
import { indexTokens } from '../../../src/text/tokenizer.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, everything, newMemory, scopeOf, seed } from './fixtures.js';

describe.each(backends)('transfer on $name', (backend) => {
  const { it, context } = conformance(backend, 'transfer');

  it('exports in pages, imports with a checkpoint, and reports where a copy got to', async () => {
    const { storage } = context;
    const scope = scopeOf(alice, 'agent', 'run');
    await seed(storage, [newMemory(scope, 'Prefers tea'), newMemory(scope, 'Lives in Berlin')]);
    expect(await storage.transfer.count('stores')).toBe(1);
    expect(await storage.transfer.count('memories')).toBe(2);
    expect(await storage.transfer.count('sessions')).toBe(0);

    const first = await storage.transfer.export('memories', null, 1);
    expect(first.rows).toHaveLength(1);
    const second = await storage.transfer.export('memories', first.cursor, 10);
    expect(second.rows.map((row) => row.text)).toEqual(['Lives in Berlin']);
    const end = await storage.transfer.export('memories', second.cursor, 10);
    expect(end).toEqual({ rows: [], cursor: second.cursor });

    const target = await backend.create();
    try {
      const copy = target.storage.transfer;
      const stores = await storage.transfer.export('stores', null, 10);
      await copy.import('stores', stores.rows, {
        migration: 'm1',
        table: 'stores',
        cursor: stores.cursor,
        copied: 1,
        done: true,
      });
      const memories = [...first.rows, ...second.rows].map((row) => ({
        ...row,
        tokens: indexTokens(String(row.text)).join(' '),
      }));
      await copy.import('memories', memories, {
        migration: 'm1',
        table: 'memories',
        cursor: second.cursor,
        copied: 2,
        done: true,
      });
      const copied = await target.storage.memories.list('mnemos', everything(alice), {
        limit: 10,
        offset: 0,
      });
      expect(copied.map((memory) => memory.text).sort()).toEqual([
        'Lives in Berlin',
        'Prefers tea',
      ]);
      const hits = await target.storage.search.text('mnemos', everything(alice), ['berlin'], {
        limit: 5,
      });
      expect(hits).toHaveLength(1);
      expect(
        (await copy.checkpoints())
          .map(({ table, copied, done }) => ({ table, copied, done }))
          .sort((a, b) => a.table.localeCompare(b.table)),
      ).toEqual([
        { table: 'memories', copied: 2, done: true },
        { table: 'stores', copied: 1, done: true },
      ]);
    } finally {
      await target.dispose();
    }
  });

  it('names where its data lives', async () => {
    expect(context.storage.location).toMatch(backend.name === 'sqlite' ? /mnemos/ : /^postgres/);
    expect(context.storage.kind).toBe(backend.name);
  });
});
