import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../src/http/logger.js';
import { startServer } from '../../src/http/server.js';
import { Mnemos } from '../../src/mnemos.js';
import { makeHome, removeHomes, runCli } from '../support/cli.js';
import { startServe } from '../support/serve.js';
import { tempHome } from '../support/temp-home.js';
import { baseConfig, call, expectError } from './helpers.js';

/**
 * Routes and requests without a valid API key: `/metrics` can require a key of its own, and
 * requests without a valid key (open routes, refused keys) are rate limited per client address.
 */

afterAll(removeHomes);

async function serverWith(options: { metricsKey?: string; rateLimitPerMinute?: number }) {
  const home = tempHome('mnemos-open-');
  writeFileSync(join(home.home, 'config.yaml'), baseConfig);
  const mnemos = await Mnemos.open({ home: home.home });
  const server = await startServer(mnemos, {
    host: '127.0.0.1',
    port: 0,
    log: jsonLogger(process.stderr, true),
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    metricsKey: options.metricsKey,
  });
  return {
    mnemos,
    url: server.url,
    async remove() {
      await server.stop(5_000);
      await mnemos.close();
      home.remove();
    },
  };
}

describe('/metrics with a metrics key', () => {
  it('answers 401 without the key or with another, 200 with it; /health stays open', async () => {
    const server = await serverWith({ metricsKey: 'metrics-secret-123' });
    try {
      const tenantKey = (await server.mnemos.keys.create({ appId: 'a', tenantId: 't' })).key;
      const missing = await call(server.url, null, 'GET', '/metrics');
      expectError(missing, 401, 'unauthorized');
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect(missing.text).toMatch(/metrics key/);
      expectError(await call(server.url, 'wrong', 'GET', '/metrics'), 401, 'unauthorized');
      // An API key is not the metrics key: a tenant cannot read server-wide figures.
      expectError(await call(server.url, tenantKey, 'GET', '/metrics'), 401, 'unauthorized');
      const allowed = await call(server.url, 'metrics-secret-123', 'GET', '/metrics');
      expect(allowed.status, allowed.text).toBe(200);
      expect(allowed.text).toContain('mnemos_http_requests_total');
      expect((await call(server.url, null, 'GET', '/health')).status).toBe(200);
    } finally {
      await server.remove();
    }
  });

  it('stays open without a key (the default)', async () => {
    const server = await serverWith({});
    try {
      expect((await call(server.url, null, 'GET', '/metrics')).status).toBe(200);
    } finally {
      await server.remove();
    }
  });
});

describe('requests without a valid API key are rate limited per client address', () => {
  it('429s refused keys, /health and /metrics once the budget is spent; valid keys keep theirs', async () => {
    const server = await serverWith({ rateLimitPerMinute: 4 });
    try {
      const key = (await server.mnemos.keys.create({ appId: 'a', tenantId: 't' })).key;
      const unauthenticated = [
        () => call(server.url, null, 'GET', '/health'),
        () => call(server.url, 'mn_not-a-key', 'GET', '/v1/memories'),
        () => call(server.url, null, 'GET', '/metrics'),
        () => call(server.url, null, 'POST', '/v1/memories', { text: 'x' }),
      ];
      const statuses = [];
      for (const send of unauthenticated) statuses.push((await send()).status);
      expect(statuses).toEqual([200, 401, 200, 401]);
      for (const send of unauthenticated) {
        const refused = await send();
        expectError(refused, 429, 'rate_limited');
        expect(refused.text).toMatch(/client address/);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      // A valid key has its own budget, untouched by the address's refused requests.
      const answer = await call(server.url, key, 'GET', '/v1/memories');
      expect(answer.status, answer.text).toBe(200);
    } finally {
      await server.remove();
    }
  });
});

describe('mnemos serve --metrics-key-env', () => {
  it('reads the key from the named variable of .env, and refuses an unset variable', async () => {
    const home = makeHome();
    writeFileSync(join(home, '.env'), 'SCRAPE_KEY=from-dotenv-456\n');
    const serve = await startServe(home, { flags: ['--metrics-key-env', 'SCRAPE_KEY'] });
    try {
      expectError(await call(serve.url, null, 'GET', '/metrics'), 401, 'unauthorized');
      expect((await call(serve.url, 'from-dotenv-456', 'GET', '/metrics')).status).toBe(200);
    } finally {
      await serve.stop();
    }
    writeFileSync(join(home, 'config.yaml'), 'server:\n  metrics_key_env: NOT_SET_ANYWHERE\n');
    const unset = await runCli(['serve', '--port', '0'], { home });
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toMatch(/metrics key variable NOT_SET_ANYWHERE is not set/);
  });
});
