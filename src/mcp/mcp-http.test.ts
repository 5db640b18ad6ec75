import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import type { TenantContext } from '../http/tenant-context.js';
import { Mnemos } from '../mnemos.js';
import { mcpHttpHandler } from './mcp-http.js';

/** API keys of the test and the tenants they are bound to. */
const keys: Record<string, TenantContext> = {
  'key-alice': { keyId: 'k1', appId: 'app', tenantId: 'alice', admin: false },
  'key-bob': { keyId: 'k2', appId: 'app', tenantId: 'bob', admin: false },
};

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
let server: ReturnType<typeof serve>;
let url: URL;
const clients: Client[] = [];

/** An SDK client over Streamable HTTP, authenticated with `key`. */
async function connect(key: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'mnemos-http-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ isError: boolean; body: Record<string, unknown> }> {
  const result = await client.callTool({ name, arguments: args });
  const [content] = result.content as Array<{ text: string }>;
  return { isError: result.isError === true, body: JSON.parse(content!.text) };
}

beforeAll(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home });
  const handler = mcpHttpHandler(mnemos, async (request) => {
    const match = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '');
    return (match && keys[match[1]!]) || null;
  });
  // Mounted the way `mnemos serve` mounts it.
  const app = new Hono();
  app.all('/mcp', (c) => handler(c.req.raw));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await new Promise((resolve) => server.close(resolve));
  await mnemos.close();
  home.remove();
});

describe('MCP over Streamable HTTP', () => {
  it('serves the tools and a remember/search round trip', async () => {
    const alice = await connect('key-alice');
    const { tools } = await alice.listTools();
    expect(tools.map((tool) => tool.name)).toContain('memory_list');
    const remembered = await call(alice, 'memory_remember', {
      content: '我的猫叫年糕',
      sync: true,
    });
    expect(remembered.body.status).toBe('succeeded');
    const found = await call(alice, 'memory_search', { query: '年糕' });
    expect((found.body.results as Array<{ text: string }>)[0]!.text).toBe('我的猫叫年糕');
  });

  it('keeps each key inside its own tenant', async () => {
    const alice = await connect('key-alice');
    const bob = await connect('key-bob');
    const bobs = await call(bob, 'memory_remember', { content: '我的狗叫豆豆', sync: true });
    const [bobMemory] = bobs.body.memory_ids as string[];

    const aliceList = await call(alice, 'memory_list', {});
    expect((aliceList.body.memories as Array<{ text: string }>).map((m) => m.text)).toEqual([
      '我的猫叫年糕',
    ]);
    const bobList = await call(bob, 'memory_list', {});
    expect((bobList.body.memories as Array<{ text: string }>).map((m) => m.text)).toEqual([
      '我的狗叫豆豆',
    ]);
    const aliceSearch = await call(alice, 'memory_search', { query: '豆豆 狗' });
    expect(aliceSearch.body.count).toBe(0);

    const stolen = await call(alice, 'memory_forget', { memory_id: bobMemory });
    expect(stolen.isError).toBe(true);
    expect(stolen.body).toMatchObject({ error: { code: 'not_found' } });
    expect(
      (await mnemos.memories.get({ scope: { appId: 'app', tenantId: 'bob' }, id: bobMemory! }))
        .deletedAt,
    ).toBeNull();
  });

  it('answers 401 without a valid key, before any MCP work', async () => {
    const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }];
    for (const headers of attempts) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    await expect(connect('wrong')).rejects.toThrow();
  });

  it('answers 405 to GET, since it keeps no sessions', async () => {
    const response = await fetch(url, {
      headers: { Authorization: 'Bearer key-alice', Accept: 'text/event-stream' },
    });
    expect(response.status).toBe(405);
  });
});
