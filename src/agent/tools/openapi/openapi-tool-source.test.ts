import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type OpenApiTestServer,
  orderToken,
  searchKey,
  startOpenApiServer,
} from '../../../../test/support/openapi-server.js';
import { type OpenApiToolConfig, openApiToolSchema } from '../../../core/agent-definition.js';
import type { AnyTool, ToolContext } from '../tool.js';
import { ToolResultCache } from '../tool-cache.js';
import type { OpenApiCallResult } from './openapi-call.js';
import { type OpenApiToolSourceOptions, openApiToolSource } from './openapi-tool-source.js';

const context: ToolContext = {
  signal: new AbortController().signal,
  sessionId: 's1',
  workspace: '/tmp',
};

let api: OpenApiTestServer;
let dir: string;
const env = { SHOP_TOKEN: orderToken, SEARCH_KEY: searchKey };

beforeAll(async () => {
  api = await startOpenApiServer();
  dir = mkdtempSync(join(tmpdir(), 'mnemos-openapi-'));
  writeFileSync(join(dir, 'shop.yaml'), stringify(api.document));
});

afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function entry(fields: Record<string, unknown>): OpenApiToolConfig {
  return openApiToolSchema.parse({ type: 'openapi', name: 'shop', ...fields });
}

async function toolsOf(
  fields: Record<string, unknown>,
  options: Partial<OpenApiToolSourceOptions> = {},
): Promise<{ tools: Map<string, AnyTool>; warnings: string[] }> {
  const warnings: string[] = [];
  const source = openApiToolSource([entry({ spec_url: `${api.origin}/openapi.json`, ...fields })], {
    baseDir: dir,
    env,
    allowHosts: ['127.0.0.1'],
    warn: (message) => warnings.push(message),
    ...options,
  });
  const tools = (await source?.tools()) ?? [];
  return { tools: new Map(tools.map((tool) => [tool.name, tool])), warnings };
}

async function call(tool: AnyTool | undefined, args: unknown): Promise<OpenApiCallResult> {
  if (!tool) throw new Error('no such tool');
  return (await tool.execute(tool.schema.parse(args), context)) as OpenApiCallResult;
}

describe('openApiToolSource', () => {
  it('is null without entries', () => {
    expect(openApiToolSource([], { baseDir: dir })).toBeNull();
  });

  it('offers one tool per operation from a fetched document, with the server relative to it', async () => {
    const { tools, warnings } = await toolsOf({
      auth: { type: 'bearer', token_env: 'SHOP_TOKEN' },
    });
    expect([...tools.keys()]).toEqual([
      'shop_get_order',
      'shop_create_ticket',
      'shop_search_items',
      'shop_replace_categories',
      'shop_get_broken',
      'shop_slow_report',
      'shop_big_report',
      'shop_go_away',
    ]);
    expect(warnings).toEqual([expect.stringContaining('uploadFile (POST /upload) is not offered')]);
    expect(tools.get('shop_get_order')?.toolset).toBe('openapi_shop');
    const result = await call(tools.get('shop_get_order'), { id: 'a/1', expand: true });
    expect(result).toMatchObject({ status: 200, ok: true, body: { id: 'a/1', item: 'teapot' } });
    expect((result.body as { expand: string }).expand).toBe('true');
    await expect(call(tools.get('shop_get_order'), { id: '..' })).rejects.toThrow(
      'openapi tool shop_get_order: path parameter id may not be ".."',
    );
    expect(api.log.headers.get('/v1/orders/a%2F1')?.authorization).toBe(`Bearer ${orderToken}`);
  });

  it('reads a YAML spec_file relative to baseDir and calls base_url with a header key', async () => {
    const { tools } = await toolsOf({
      spec_url: undefined,
      spec_file: 'shop.yaml',
      base_url: `${api.origin}/v1`,
      auth: { type: 'header', name: 'X-Api-Key', value_env: 'SEARCH_KEY' },
      operations: ['searchItems', 'create_ticket'],
    });
    expect([...tools.keys()]).toEqual(['shop_create_ticket', 'shop_search_items']);
    const found = await call(tools.get('shop_search_items'), { q: 'tea pot', tags: ['a', 'b'] });
    expect(found).toMatchObject({ status: 200, body: { q: 'tea pot', tags: ['a', 'b'] } });
    const created = await call(tools.get('shop_create_ticket'), {
      body: { title: 'Broken lid', priority: 'high' },
    });
    expect(created).toMatchObject({
      status: 201,
      ok: true,
      body: { id: 't-1', title: 'Broken lid' },
    });
    expect(api.log.bodies.at(-1)).toEqual({ title: 'Broken lid', priority: 'high' });
    expect(api.log.headers.get('/v1/tickets')?.['content-type']).toBe('application/json');
  });

  it('sends a query key from the environment', async () => {
    const { tools } = await toolsOf({
      auth: { type: 'query', name: 'api_key', value_env: 'SEARCH_KEY' },
    });
    const found = await call(tools.get('shop_search_items'), { q: 'lid' });
    expect(found).toMatchObject({ status: 200, ok: true, body: { q: 'lid' } });
  });

  it('stops a call when the turn is cancelled', async () => {
    const { tools } = await toolsOf({});
    const controller = new AbortController();
    const tool = tools.get('shop_slow_report')!;
    const pending = tool.execute({}, { ...context, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow('openapi tool shop_slow_report: cancelled');
  });

  it('stops before any request when the secret variable is not set, naming it', async () => {
    const { tools } = await toolsOf(
      { auth: { type: 'bearer', token_env: 'SHOP_TOKEN' } },
      { env: {} },
    );
    const before = api.count('/v1/orders/9');
    await expect(call(tools.get('shop_get_order'), { id: '9' })).rejects.toThrow(
      /environment variable SHOP_TOKEN \(auth\.token_env of openapi tool shop\) is not set, so the call was not made/,
    );
    expect(api.count('/v1/orders/9')).toBe(before);
  });

  it('gives the status and body of a failed call to the model', async () => {
    const { tools } = await toolsOf({});
    const result = await call(tools.get('shop_get_broken'), {});
    expect(result).toMatchObject({ status: 500, ok: false, body: { error: 'database on fire' } });
    expect(result.error).toMatch(/^HTTP 500/);
    const denied = await call(tools.get('shop_get_order'), { id: '1' });
    expect(denied).toMatchObject({ status: 401, body: { error: 'missing or wrong bearer token' } });
  });

  it('ends a call that hangs at timeout_ms with a clear error', async () => {
    const { tools } = await toolsOf({ timeout_ms: 300 });
    const started = Date.now();
    await expect(call(tools.get('shop_slow_report'), {})).rejects.toThrow(
      /openapi tool shop_slow_report: 127\.0\.0\.1:\d+ gave no complete answer within 300 ms \(timeout_ms\)/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('cuts a body over max_response_bytes with a marker', async () => {
    const { tools } = await toolsOf({ max_response_bytes: 2048 });
    const result = await call(tools.get('shop_big_report'), {});
    const body = result.body as string;
    expect(body.startsWith('x'.repeat(2048))).toBe(true);
    expect(body).toContain(
      '\n[truncated by Mnemos: the response has 1048576 bytes, the first 2048 kept (max_response_bytes)]',
    );
    expect(body.length).toBeLessThan(2200);
  });

  it('does not follow a redirect to another host', async () => {
    const { tools } = await toolsOf({});
    const before = api.count('/v1/big');
    await expect(call(tools.get('shop_go_away'), {})).rejects.toThrow(
      /redirected to http:\/\/localhost:\d+, another host; Mnemos does not follow it/,
    );
    expect(api.count('/v1/big')).toBe(before);
  });

  it('refuses loopback addresses unless allowHosts lists them', async () => {
    const { tools, warnings } = await toolsOf({}, { allowHosts: [] });
    expect(tools.size).toBe(0);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^openapi tool shop: spec_url http:\/\/127\.0\.0\.1:\d+\/openapi\.json: refused to reach 127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback address; only public addresses can be reached unless agent\.web\.allow_hosts lists the host; its tools are not offered$/,
      ),
    ]);
    const fromFile = await toolsOf(
      { spec_url: undefined, spec_file: 'shop.yaml', base_url: `${api.origin}/v1` },
      { allowHosts: [], allowHostsSetting: 'tools.allow_hosts' },
    );
    const before = api.count('/v1/search');
    await expect(call(fromFile.tools.get('shop_search_items'), { q: 'x' })).rejects.toThrow(
      /loopback address; only public addresses can be reached unless tools\.allow_hosts lists the host/,
    );
    expect(api.count('/v1/search')).toBe(before);
  });

  it('keeps offering the tools of the documents that loaded when one fails', async () => {
    const warnings: string[] = [];
    const source = openApiToolSource(
      [
        entry({ name: 'gone', spec_file: 'missing.json' }),
        entry({ spec_url: `${api.origin}/openapi.json`, operations: ['getOrder'] }),
      ],
      { baseDir: dir, allowHosts: ['127.0.0.1'], warn: (message) => warnings.push(message) },
    );
    const first = await source?.tools();
    expect(first?.map((tool) => tool.name)).toEqual(['shop_get_order']);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^openapi tool gone: spec_file .*missing\.json cannot be read \(ENOENT\)/,
      ),
    ]);
    const fetched = api.count('/openapi.json');
    expect(await source?.tools()).toBe(first);
    expect(api.count('/openapi.json')).toBe(fetched);
  });
});

describe('openApiToolSource with a cache', () => {
  let now = 1_000_000;
  const cache = new ToolResultCache({ now: () => now });

  async function cachedTools(scope: string, ttl = 60): Promise<Map<string, AnyTool>> {
    return (
      await toolsOf(
        {
          auth: { type: 'header', name: 'X-Api-Key', value_env: 'SEARCH_KEY' },
          cache_ttl_seconds: ttl,
        },
        { cache, cacheScope: scope },
      )
    ).tools;
  }

  it('answers a repeated GET from the cache until the TTL ends', async () => {
    const tools = await cachedTools('tenant-a');
    const search = tools.get('shop_search_items');
    const first = await call(search, { q: 'cached', tags: ['x'] });
    const before = api.count('/v1/search');
    expect(await call(search, { tags: ['x'], q: 'cached' })).toEqual(first);
    expect(api.count('/v1/search')).toBe(before);
    await call(search, { q: 'other' });
    expect(api.count('/v1/search')).toBe(before + 1);
    now += 61_000;
    await call(search, { q: 'cached', tags: ['x'] });
    expect(api.count('/v1/search')).toBe(before + 2);
  });

  it('never shares results between scopes', async () => {
    await call((await cachedTools('tenant-a')).get('shop_search_items'), { q: 'scoped' });
    const before = api.count('/v1/search');
    await call((await cachedTools('tenant-b')).get('shop_search_items'), { q: 'scoped' });
    expect(api.count('/v1/search')).toBe(before + 1);
  });

  it('keeps neither failed calls nor anything but GET', async () => {
    const tools = await cachedTools('tenant-a');
    const before = api.count('/v1/broken');
    await call(tools.get('shop_get_broken'), {});
    await call(tools.get('shop_get_broken'), {});
    expect(api.count('/v1/broken')).toBe(before + 2);
    const created = api.log.bodies.length;
    await call(tools.get('shop_create_ticket'), { body: { title: 'twice' } });
    await call(tools.get('shop_create_ticket'), { body: { title: 'twice' } });
    expect(api.log.bodies.length).toBe(created + 2);
  });

  it('needs a scope with a cache', () => {
    expect(() =>
      openApiToolSource([entry({ spec_url: `${api.origin}/openapi.json` })], {
        baseDir: dir,
        cache,
      }),
    ).toThrow(/needs a cacheScope/);
  });
});
