import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../src/mcp/mcp-server.js';
import type { Mnemos } from '../src/mnemos.js';
import { baseConfig, call, startTestServer, type TestServer } from './http/helpers.js';
import { runCli } from './support/cli.js';

/**
 * One limit, one error: a request over a size limit is `limit_exceeded` with `{limit, actual}` from
 * the library, over HTTP, from the CLI (`--json`) and from MCP alike; input that cannot be stored
 * as sent (a reserved key, a lone surrogate) is `invalid_input` everywhere. Nothing is written.
 */

const owner = { appId: 'app', tenantId: 'a' };
type ErrorBody = { code: string; message: string; details: Record<string, unknown> };

let server: TestServer;
let key = '';
let mcp: Client;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.mnemos.keys.create(owner)).key;
  await server.mnemos.sessions.create(owner, { id: 's1' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(server.mnemos, () => owner).connect(serverSide);
  mcp = new Client({ name: 'limit-codes', version: '1.0.0' });
  await mcp.connect(clientSide);
});

afterAll(async () => {
  await mcp?.close();
  await server?.remove();
});

async function library(work: (mnemos: Mnemos) => Promise<unknown>): Promise<ErrorBody> {
  try {
    await work(server.mnemos);
  } catch (error) {
    return (error as { toJSON(): ErrorBody }).toJSON();
  }
  throw new Error('expected the library call to fail');
}

async function http(method: string, path: string, body: unknown): Promise<ErrorBody> {
  const answer = await call(server.url, key, method, path, body);
  expect(answer.status, answer.text).toBe(400);
  return answer.json<{ error: ErrorBody }>().error;
}

async function cli(args: string[], input?: string): Promise<ErrorBody> {
  const result = await runCli([...args, '--json'], {
    home: server.home,
    ...(input === undefined ? {} : { input }),
  });
  expect(result.code, result.stderr).toBe(2);
  return result.errorJson().error;
}

async function tool(name: string, args: Record<string, unknown>): Promise<ErrorBody> {
  const result = await mcp.callTool({ name, arguments: args });
  expect(result.isError, JSON.stringify(result)).toBe(true);
  const text = (result.content as Array<{ text: string }>)[0]!.text;
  return (JSON.parse(text) as { error: ErrorBody }).error;
}

async function written(): Promise<unknown> {
  const listed = await server.mnemos.memories.list({ scope: owner, includeDeleted: true });
  return {
    memories: listed.total,
    jobs: (await server.mnemos.memories.jobs({ scope: owner })).length,
    messages: (await server.mnemos.sessions.get(owner, 's1')).messageCount,
  };
}

describe('the same limit gets the same code on every surface', () => {
  const long = 'x'.repeat(32_001);

  it('a 32,001-character text: limit_exceeded {limit: 32000, actual: 32001}', async () => {
    const before = await written();
    const errors = [
      await library((mnemos) => mnemos.memories.add({ scope: owner, text: long, sync: true })),
      await http('POST', '/v1/memories', { text: long, sync: true }),
      await cli(['mem', 'add', '--app', 'app', '--tenant', 'a', '-'], long),
      await tool('memory_remember', { content: long, sync: true }),
    ];
    for (const error of errors) {
      expect(error.code, error.message).toBe('limit_exceeded');
      expect(error.details).toEqual({ limit: 32_000, actual: 32_001 });
      expect(error.message).toMatch(/at most 32000 characters.*got 32001/);
    }
    expect(await written()).toEqual(before);
  });

  it('17 metadata keys: limit_exceeded {limit: 16, actual: 17}', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    const flags = Object.keys(metadata).flatMap((name) => ['--metadata', `${name}=v`]);
    const before = await written();
    const errors = [
      await library((mnemos) => mnemos.memories.add({ scope: owner, text: 'x', metadata })),
      await http('POST', '/v1/memories', { text: 'x', metadata }),
      await cli(['mem', 'add', '--app', 'app', '--tenant', 'a', ...flags, 'x']),
    ];
    for (const error of errors) {
      expect(error.code, error.message).toBe('limit_exceeded');
      expect(error.details).toEqual({ limit: 16, actual: 17 });
    }
    expect(await written()).toEqual(before);
  });

  it('a search query of 32,001 characters: limit_exceeded {limit: 32000, actual: 32001}', async () => {
    const errors = [
      await library((mnemos) => mnemos.memories.search({ scope: owner, query: long })),
      await http('POST', '/v1/memories/search', { query: long }),
      await cli(['mem', 'search', '--app', 'app', '--tenant', 'a', long]),
      await tool('memory_search', { query: long }),
    ];
    for (const error of errors) {
      expect(error.code, error.message).toBe('limit_exceeded');
      expect(error.details).toEqual({ limit: 32_000, actual: 32_001 });
      expect(error.message).toMatch(/query: at most 32000 characters, got 32001/);
    }
  });

  it('21 messages in one add: limit_exceeded {limit: 20, actual: 21} from the library and HTTP', async () => {
    const messages = Array.from({ length: 21 }, () => ({ role: 'user', content: 'hi' }));
    const before = await written();
    const errors = [
      await library((mnemos) =>
        mnemos.memories.add({ scope: owner, messages: messages as never, sync: true }),
      ),
      await http('POST', '/v1/memories', { messages, sync: true }),
    ];
    for (const error of errors) {
      expect(error.code, error.message).toBe('limit_exceeded');
      expect(error.details).toEqual({ limit: 20, actual: 21 });
    }
    expect(await written()).toEqual(before);
  });

  it('a session title of 257 characters: limit_exceeded {limit: 256, actual: 257} from the library and HTTP', async () => {
    const title = 't'.repeat(257);
    const errors = [
      await library((mnemos) => mnemos.sessions.create(owner, { title })),
      await http('POST', '/v1/sessions', { title }),
    ];
    for (const error of errors) {
      expect(error.code, error.message).toBe('limit_exceeded');
      expect(error.details).toEqual({ limit: 256, actual: 257 });
    }
  });

  it('a session message of 32,001 characters: limit_exceeded over HTTP; the library keeps transcripts whole', async () => {
    const before = await written();
    const error = await http('POST', '/v1/sessions/s1/history', {
      messages: [{ role: 'user', content: long }],
    });
    expect(error.code, error.message).toBe('limit_exceeded');
    expect(error.details).toEqual({ limit: 32_000, actual: 32_001 });
    expect(await written()).toEqual(before);
    // The agent's own transcript (a long tool result) is appended through the library as it is.
    const stored = await server.mnemos.sessions.append(owner, 's1', [
      { role: 'tool', content: 'r'.repeat(40_000), name: 'read_file' },
    ]);
    expect(stored[0]!.content).toHaveLength(40_000);
  });

  it('a reserved key or a lone surrogate: invalid_input from the library, CLI and MCP', async () => {
    const before = await written();
    const reserved = [
      await library((mnemos) =>
        mnemos.memories.add({
          scope: owner,
          text: 'x',
          metadata: JSON.parse('{"__proto__": "v"}') as Record<string, string>,
        }),
      ),
      await cli(['mem', 'add', '--app', 'app', '--tenant', 'a', '--metadata', '__proto__=v', 'x']),
      await cli([
        'mem',
        'add',
        '--app',
        'app',
        '--tenant',
        'a',
        '--metadata',
        'constructor=v',
        'x',
      ]),
    ];
    for (const error of reserved) {
      expect(error.code, error.message).toBe('invalid_input');
      expect(error.message).toMatch(/`(__proto__|constructor)` is reserved/);
    }
    const surrogates = [
      await library((mnemos) => mnemos.memories.add({ scope: owner, text: 'half \ud83d' })),
      await library((mnemos) =>
        mnemos.sessions.append(owner, 's1', [{ role: 'user', content: '\udc00' }]),
      ),
      await library((mnemos) => mnemos.profile.set(owner, 'name', '\ud800')),
      await tool('memory_remember', { content: 'broken \ud800 text', sync: true }),
    ];
    for (const error of surrogates) {
      expect(error.code, error.message).toBe('invalid_input');
      expect(error.message).toMatch(/lone surrogate/);
    }
    expect(await written()).toEqual(before);
    expect(await server.mnemos.profile.get(owner)).toEqual([]);
  });

  it('a spent token quota: quota_exceeded naming the quota from the library, HTTP 429', async () => {
    const limited = await startTestServer({
      config: `${baseConfig}agent:\n  quotas:\n    per_user_tokens: 10\n`,
    });
    try {
      const limitedKey = (await limited.mnemos.keys.create(owner)).key;
      await limited.mnemos.sessions.create(owner, { id: 's1' });
      await limited.mnemos.usage.record(owner, 's1', { inputTokens: 7, outputTokens: 3 });
      const errors = [
        await (async () => {
          try {
            await limited.mnemos.usage.check(owner, 's1');
          } catch (error) {
            return (error as { toJSON(): ErrorBody }).toJSON();
          }
          throw new Error('expected the quota check to fail');
        })(),
        await (async () => {
          const answer = await call(limited.url, limitedKey, 'POST', '/v1/sessions/s1/messages', {
            content: 'hi',
          });
          expect(answer.status, answer.text).toBe(429);
          return answer.json<{ error: ErrorBody }>().error;
        })(),
      ];
      for (const error of errors) {
        expect(error.code, error.message).toBe('quota_exceeded');
        expect(error.details).toEqual({
          quota: 'per_user_tokens',
          limit: 10,
          used: 10,
          resetsAt: null,
        });
        expect(error.message).toMatch(/agent\.quotas\.per_user_tokens/);
      }
    } finally {
      await limited.remove();
    }
  });
});
