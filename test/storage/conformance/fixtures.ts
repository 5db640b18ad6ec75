import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { MnemosError } from '../../../src/core/errors.js';
import type { MemoryKind } from '../../../src/core/memory-record.js';
import type { Scope, TenantKey } from '../../../src/core/scope.js';
import type { StoreRecord } from '../../../src/core/store-record.js';
import { textHash } from '../../../src/core/text-hash.js';
import { BuiltinEmbedder } from '../../../src/models/embed/builtin-embedder.js';
import type { NewMemory, Storage } from '../../../src/spec/storage.js';
import { indexTokens } from '../../../src/text/tokenizer.js';

/** The embedder the engine uses by default; direct spec tests embed with it too. */
export const embedder = new BuiltinEmbedder();

/** Two tenants of one app, and a tenant of another app with alice's tenant id. */
export const alice: TenantKey = { appId: 'app', tenantId: 'alice' };
export const bob: TenantKey = { appId: 'app', tenantId: 'bob' };
export const aliceElsewhere: TenantKey = { appId: 'other-app', tenantId: 'alice' };

/** An exact write scope of a tenant. */
export function scopeOf(tenant: TenantKey, agentId = 'default', runId = 'default'): Scope {
  return { ...tenant, agentId, runId };
}

/** The read pattern of a whole tenant. */
export function everything(tenant: TenantKey): Scope {
  return { ...tenant, agentId: '*', runId: '*' };
}

/** A fixed point in time the direct spec tests count from. */
export const t0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A store bound to the built-in embedder. */
export function storeRecord(name = 'mnemos', description = ''): StoreRecord {
  const now = new Date(t0).toISOString();
  return {
    name,
    description,
    embedderId: embedder.id,
    dimensions: embedder.dimensions,
    createdAt: now,
    updatedAt: now,
  };
}

/** A memory row as the engine would write it: tokens, hash and embedding computed from the text. */
export function newMemory(
  scope: Scope,
  text: string,
  extra: {
    id?: string;
    kind?: MemoryKind;
    metadata?: Record<string, string>;
    salience?: number;
  } = {},
): NewMemory {
  return {
    id: extra.id ?? randomUUID(),
    text,
    kind: extra.kind ?? 'fact',
    salience: extra.salience ?? 0.5,
    scope,
    metadata: extra.metadata ?? {},
    source: { jobId: 'direct' },
    hash: textHash(text),
    tokens: indexTokens(text).join(' '),
    embedding: embedder.embedOne(text),
  };
}

/** Creates the store and inserts the memories (each at its own time, one ms apart); returns them. */
export async function seed(
  storage: Storage,
  memories: NewMemory[],
  options: { store?: string; at?: number } = {},
): Promise<NewMemory[]> {
  const store = options.store ?? 'mnemos';
  if (!(await storage.stores.get(store))) await storage.stores.create(storeRecord(store));
  let at = options.at ?? t0;
  for (const memory of memories) {
    await storage.memories.apply(store, memory.scope, [{ type: 'insert', memory }], at);
    at += 1;
  }
  return memories;
}

/** The error code a promise rejects with; fails the test when it resolves or throws something else. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error('expected a failure, but it succeeded');
  if (!MnemosError.isInstance(outcome.error)) throw outcome.error;
  return outcome.error.code;
}

/** Sorted copy, for comparing sets of ids. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

/** Asserts a promise rejects (with any error) and returns nothing. */
export async function expectRejection(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeTruthy();
}
