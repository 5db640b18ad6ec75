import { toolValueText } from '../../core/message-parts.js';
import type { AnyTool, ToolContext } from './tool.js';

/** Bounds and clock of a {@link ToolResultCache}. */
export interface ToolResultCacheOptions {
  /** Most results kept (default 500); the least recently used go first. */
  maxEntries?: number;
  /** Most characters of all results together, as JSON text (default 4,000,000). */
  maxChars?: number;
  /** Milliseconds since the epoch; tests pass their own clock. */
  now?: () => number;
}

interface Entry {
  value: unknown;
  chars: number;
  expiresAt: number;
}

/** Arguments as JSON with every object's keys sorted, so equal arguments give one key. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort())
      sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * Results of tool calls kept in memory for a while, bounded by count and by size (least recently
 * used dropped first). A key holds the caller's scope (a tenant, an agent), the tool's name and
 * its arguments, so results never cross scopes.
 */
export class ToolResultCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxChars: number;
  private readonly now: () => number;
  private chars = 0;

  constructor(options: ToolResultCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxChars = options.maxChars ?? 4_000_000;
    this.now = options.now ?? Date.now;
  }

  /** The key of one call: scope, tool name and arguments with sorted keys. */
  static key(scope: string, toolName: string, args: unknown): string {
    return `${scope}\u0000${toolName}\u0000${stableJson(args ?? null)}`;
  }

  /** Results held now (expired ones not yet dropped included). */
  get size(): number {
    return this.entries.size;
  }

  /** The stored result, or undefined when there is none or it expired. */
  get(key: string): { value: unknown } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    // Re-inserting moves the key to the end: Map order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { value: structuredClone(entry.value) };
  }

  /**
   * Keeps a copy of a result for `ttlMs` (callers may change what they got back); one larger than
   * the whole cache, or not plain data, is not kept.
   */
  set(key: string, value: unknown, ttlMs: number): void {
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    if (ttlMs <= 0) return;
    let copy: unknown;
    try {
      copy = structuredClone(value);
    } catch {
      return;
    }
    const chars = key.length + toolValueText(copy).length;
    if (chars > this.maxChars) return;
    this.entries.set(key, { value: copy, chars, expiresAt: this.now() + ttlMs });
    this.chars += chars;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.remove(oldest, entry);
    }
  }

  /** Drops every result. */
  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.chars -= entry.chars;
  }
}

/**
 * The tool with its results reused for `ttlMs` for the same arguments within `scope`. A call that
 * throws is never kept, nor a result `cacheable` rejects (an HTTP error status, say).
 */
export function cachedTool(
  tool: AnyTool,
  ttlMs: number,
  cache: ToolResultCache,
  scope: string,
  cacheable: (result: unknown) => boolean = () => true,
): AnyTool {
  if (ttlMs <= 0) return tool;
  return {
    ...tool,
    name: tool.name,
    description: tool.description,
    toolset: tool.toolset,
    schema: tool.schema,
    execute: async (args: unknown, context: ToolContext): Promise<unknown> => {
      const key = ToolResultCache.key(scope, tool.name, args);
      const hit = cache.get(key);
      if (hit) return hit.value;
      const result = await tool.execute(args, context);
      if (cacheable(result)) cache.set(key, result, ttlMs);
      return result;
    },
  };
}
