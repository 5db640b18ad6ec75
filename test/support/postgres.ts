import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Scope } from '../../src/core/scope.js';
import type { NewMemory } from '../../src/spec/storage.js';
import { indexTokens } from '../../src/text/tokenizer.js';

/** The test database, or undefined: Postgres tests skip themselves without it. */
export const testDatabaseUrl = process.env.MNEMOS_TEST_DATABASE_URL;

/** Why Postgres tests are skipped, shown in the test name. */
export const skipReason = 'set MNEMOS_TEST_DATABASE_URL=postgres://… (with pgvector) to run';

/** A schema name of its own for one test file: prefix, time, random. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Runs SQL on a short-lived connection outside any adapter. */
export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });
}

/** Deterministic unit vectors (mulberry32), so a test is the same on every run. */
export function randomVectors(count: number, seed: number, dimensions = 32): Float32Array[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const vector = Float32Array.from({ length: dimensions }, next);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

/** A memory row to insert, tokenised like the engine does. */
export function newMemory(scope: Scope, text: string, embedding: Float32Array): NewMemory {
  return {
    id: randomUUID(),
    text,
    kind: 'fact',
    salience: 0.5,
    scope,
    metadata: {},
    source: {},
    hash: randomUUID(),
    tokens: indexTokens(text).join(' '),
    embedding,
  };
}
