import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { jsonLogger } from '../../src/http/logger.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { Mnemos } from '../../src/mnemos.js';
import type { Storage } from '../../src/spec/storage.js';

/**
 * Settings every HTTP test home starts from: no chat model (passthrough extraction, so a developer's
 * provider keys never change what is stored) and no near-duplicate merging, so one text is one memory.
 */
export const baseConfig = 'extractor: passthrough\ningest:\n  near_duplicate_threshold: 1.01\n';

/** A server on an ephemeral loopback port over a fresh SQLite home, with its log lines captured. */
export interface TestServer {
  home: string;
  mnemos: Mnemos;
  server: RunningServer;
  url: string;
  /** Every line the server logged, in order. */
  logs: string[];
  /** Stops the server and closes Mnemos (idempotent); the home stays until `remove`. */
  stop(): Promise<void>;
  /** Stops, then deletes the home. */
  remove(): Promise<void>;
}

/** Starts Mnemos and its HTTP API on 127.0.0.1 with port 0. */
export async function startTestServer(
  options: {
    config?: string;
    rateLimitPerMinute?: number;
    maxBodyBytes?: number;
    /** An existing home, used with its own `config.yaml`. */
    home?: string;
    /** Storage instead of the home's SQLite file (e.g. a Postgres schema of its own). */
    storage?: Storage;
  } = {},
): Promise<TestServer> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'mnemos-http-'));
  if (!options.home) writeFileSync(join(home, 'config.yaml'), options.config ?? baseConfig);
  const mnemos = await Mnemos.open({
    home,
    ...(options.storage ? { storage: options.storage } : {}),
  });
  const logs: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      logs.push(...lines);
      done();
    },
  });
  const server = await startServer(mnemos, {
    host: '127.0.0.1',
    port: 0,
    log: jsonLogger(stream),
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await server.stop(5_000);
      await mnemos.close();
    })();
    return stopped;
  };
  return {
    home,
    mnemos,
    server,
    url: server.url,
    logs,
    stop,
    remove: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** One HTTP answer, its body read. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws with the body when it is not JSON). */
  json<T = unknown>(): T;
}

/** The body of a request: JSON-encoded unless it is a string (sent as it is). */
export type Body = unknown;

/** Sends one request with an API key (`null`: none) and reads the whole answer. */
export async function call(
  url: string,
  key: string | null,
  method: string,
  path: string,
  body?: Body,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = {
    method,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
  };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json<T>(): T {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`expected JSON from ${method} ${path} (${response.status}): ${text}`);
      }
    },
  };
}

/** Asserts the shared error body `{error: {code, message, details}}` with this status and code. */
export function expectError(answer: Answer, status: number, code?: string): void {
  expect(answer.status, answer.text).toBe(status);
  const body = answer.json<{ error: { code: unknown; message: unknown; details: unknown } }>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect((body.error.message as string).length).toBeGreaterThan(0);
  expect(body.error.details).toBeTypeOf('object');
  expect(body.error.details).not.toBeNull();
  expect(Array.isArray(body.error.details)).toBe(false);
  if (code !== undefined) expect(body.error.code, answer.text).toBe(code);
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  id: string;
  /** The `data` field parsed as JSON. */
  data: Record<string, unknown>;
}

/** Parses a complete `text/event-stream` body. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\n\n/)) {
    if (block.trim() === '') continue;
    const event: { event: string; id: string; data: string[] } = {
      event: 'message',
      id: '',
      data: [],
    };
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') event.data.push(value);
    }
    events.push({ event: event.event, id: event.id, data: JSON.parse(event.data.join('\n')) });
  }
  return events;
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function prng(seed: number): {
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
} {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (max) => Math.floor(next() * max),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (p) => next() < p,
  };
}
