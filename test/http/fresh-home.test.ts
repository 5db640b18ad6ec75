import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, startTestServer, type TestServer } from './helpers.js';

/** Reads on a home nothing was written to yet: normal empty answers, and nothing created. */

let app: TestServer;
let key: string;

beforeAll(async () => {
  app = await startTestServer();
  key = (await app.mnemos.keys.create({ appId: 'app', tenantId: 'fresh' })).key;
});

afterAll(async () => {
  await app.remove();
});

describe('reads on a fresh home', () => {
  it('answer empty results or not found and leave no store behind', async () => {
    const search = await call(app.url, key, 'POST', '/v1/memories/search', { query: 'tea' });
    expect(search.status, search.text).toBe(200);
    expect(search.json()).toMatchObject({ results: [], warnings: [] });
    const list = await call(app.url, key, 'GET', '/v1/memories');
    expect(list.status, list.text).toBe(200);
    expect(list.json()).toMatchObject({ memories: [], total: 0 });
    const id = '00000000-0000-4000-8000-000000000000';
    expectError(await call(app.url, key, 'GET', `/v1/memories/${id}`), 404, 'not_found');
    expectError(await call(app.url, key, 'GET', `/v1/memories/${id}/history`), 404, 'not_found');
    expectError(await call(app.url, key, 'GET', `/v1/jobs/${id}`), 404, 'not_found');
    const messages = await call(app.url, key, 'GET', '/v1/memory-messages');
    expect(messages.status, messages.text).toBe(200);
    expect(await app.mnemos.stores.list()).toEqual([]);
  });
});
