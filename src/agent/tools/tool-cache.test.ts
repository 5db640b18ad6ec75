import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyTool, ToolContext } from './tool.js';
import { cachedTool, stableJson, ToolResultCache } from './tool-cache.js';

const context: ToolContext = {
  signal: new AbortController().signal,
  sessionId: 's1',
  workspace: '/tmp',
};

/** A tool that counts its calls and fails while `failing` is set. */
function countingTool(): AnyTool & { calls: number; failing: boolean } {
  const tool = {
    name: 'lookup',
    description: 'Looks up.',
    toolset: 'web',
    schema: z.object({ q: z.string(), page: z.number().optional() }),
    calls: 0,
    failing: false,
    async execute(args: { q: string }) {
      tool.calls += 1;
      if (tool.failing) throw new Error('upstream down');
      return { q: args.q, call: tool.calls };
    },
  };
  return tool;
}

describe('stableJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(stableJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
    expect(stableJson({ a: 1, b: 2 })).toBe(stableJson({ b: 2, a: 1 }));
  });
});

describe('ToolResultCache', () => {
  it('expires results after their TTL', () => {
    let now = 0;
    const cache = new ToolResultCache({ now: () => now });
    cache.set('k', 'v', 1_000);
    now = 999;
    expect(cache.get('k')).toEqual({ value: 'v' });
    now = 1_000;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used past maxEntries', () => {
    const cache = new ToolResultCache({ maxEntries: 2 });
    cache.set('a', 1, 60_000);
    cache.set('b', 2, 60_000);
    cache.get('a');
    cache.set('c', 3, 60_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ value: 1 });
    expect(cache.get('c')).toEqual({ value: 3 });
  });

  it('drops the oldest past maxChars and never keeps a result bigger than the whole cache', () => {
    const cache = new ToolResultCache({ maxChars: 100 });
    cache.set('a', 'x'.repeat(40), 60_000);
    cache.set('b', 'y'.repeat(40), 60_000);
    cache.set('c', 'z'.repeat(40), 60_000);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    cache.set('huge', 'h'.repeat(200), 60_000);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('hands out copies, so a caller changing a result does not change the next hit', () => {
    const cache = new ToolResultCache();
    const value = { list: [1] };
    cache.set('k', value, 60_000);
    value.list.push(2);
    (cache.get('k')!.value as { list: number[] }).list.push(3);
    expect(cache.get('k')).toEqual({ value: { list: [1] } });
  });
});

describe('cachedTool', () => {
  it('answers the same arguments from the cache, in any key order', async () => {
    const tool = countingTool();
    const cached = cachedTool(tool, 60_000, new ToolResultCache(), 'tenant-a');
    expect(cached.name).toBe('lookup');
    expect(cached.schema).toBe(tool.schema);
    const first = await cached.execute({ q: 'tea', page: 1 }, context);
    expect(await cached.execute({ page: 1, q: 'tea' }, context)).toEqual(first);
    expect(tool.calls).toBe(1);
    await cached.execute({ q: 'tea', page: 2 }, context);
    expect(tool.calls).toBe(2);
  });

  it('calls again after the TTL', async () => {
    let now = 0;
    const tool = countingTool();
    const cached = cachedTool(tool, 5_000, new ToolResultCache({ now: () => now }), 'tenant-a');
    await cached.execute({ q: 'tea' }, context);
    now = 4_999;
    await cached.execute({ q: 'tea' }, context);
    expect(tool.calls).toBe(1);
    now = 5_000;
    expect(await cached.execute({ q: 'tea' }, context)).toEqual({ q: 'tea', call: 2 });
  });

  it('never keeps an error', async () => {
    const tool = countingTool();
    const cached = cachedTool(tool, 60_000, new ToolResultCache(), 'tenant-a');
    tool.failing = true;
    await expect(cached.execute({ q: 'tea' }, context)).rejects.toThrow('upstream down');
    tool.failing = false;
    expect(await cached.execute({ q: 'tea' }, context)).toEqual({ q: 'tea', call: 2 });
    expect(await cached.execute({ q: 'tea' }, context)).toEqual({ q: 'tea', call: 2 });
  });

  it('keeps no result the predicate rejects', async () => {
    const tool = countingTool();
    const cached = cachedTool(tool, 60_000, new ToolResultCache(), 'tenant-a', () => false);
    await cached.execute({ q: 'tea' }, context);
    await cached.execute({ q: 'tea' }, context);
    expect(tool.calls).toBe(2);
  });

  it('never shares results between scopes', async () => {
    const tool = countingTool();
    const cache = new ToolResultCache();
    await cachedTool(tool, 60_000, cache, 'tenant-a').execute({ q: 'tea' }, context);
    const other = await cachedTool(tool, 60_000, cache, 'tenant-b').execute({ q: 'tea' }, context);
    expect(other).toEqual({ q: 'tea', call: 2 });
  });

  it('is the tool itself with a TTL of 0', () => {
    const tool = countingTool();
    expect(cachedTool(tool, 0, new ToolResultCache(), 'tenant-a')).toBe(tool);
  });
});
