import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, call, parseSse, startTestServer, type TestServer } from './helpers.js';

/**
 * The circuit breaker across HTTP turns: each turn builds its own agent, and the process-wide
 * breaker still remembers that the primary model kept failing, so later turns go straight to the
 * fallback until the cooldown ends and one turn tries the primary again.
 */

const cooldownMs = 3_000;
let primary: ModelServer;
let backup: ModelServer;
let server: TestServer;
let key = '';

beforeAll(async () => {
  primary = await startModelServer();
  backup = await startModelServer({ defaultReply: { text: 'from the backup' } });
  server = await startTestServer({
    config: [
      baseConfig.trimEnd(),
      'llm:',
      `  base_url: ${primary.url}`,
      '  model: primary',
      '  max_retries: 0',
      'agent:',
      '  fallback_models:',
      `    - base_url: ${backup.url}`,
      '      model: backup',
      '      max_retries: 0',
      '  breaker:',
      '    window: 10',
      '    failure_rate: 0.5',
      '    min_calls: 2',
      `    cooldown_ms: ${cooldownMs}`,
      '',
    ].join('\n'),
  });
  key = (await server.mnemos.keys.create({ appId: 'shop', tenantId: 'u1' })).key;
});
afterAll(async () => {
  await server?.remove();
  await primary?.close();
  await backup?.close();
});

const primaryCalls = (): number => primary.requestsTo('/v1/chat/completions').length;

async function turn(): Promise<{ text: string; fallbacks: Array<Record<string, unknown>> }> {
  const session = (await call(server.url, key, 'POST', '/v1/sessions', {})).json<{ id: string }>();
  const answer = await call(server.url, key, 'POST', `/v1/sessions/${session.id}/messages`, {
    content: 'hello',
    stream: true,
  });
  expect(answer.status, answer.text).toBe(200);
  const events = parseSse(answer.text);
  return {
    text: String(events.at(-1)?.data.text),
    fallbacks: events
      .filter((event) => event.event === 'model_fallback')
      .map((event) => event.data),
  };
}

describe('the model circuit breaker over HTTP', () => {
  it('skips a failing primary in later turns, and tries it again after the cooldown', async () => {
    primary.failNext(2, 500);
    for (let failing = 0; failing < 2; failing++) {
      const { text, fallbacks } = await turn();
      expect(text).toBe('from the backup');
      expect(fallbacks).toHaveLength(1);
      expect(String(fallbacks[0]?.reason)).not.toMatch(/circuit open/);
    }
    const opened = Date.now();
    expect(primaryCalls()).toBe(2);

    const skipped = await turn();
    expect(skipped.text).toBe('from the backup');
    expect(skipped.fallbacks).toEqual([
      expect.objectContaining({
        from: 'openai-compatible/primary',
        to: 'openai-compatible/backup',
        reason: expect.stringMatching(/^circuit open: 2 of the last 2 calls/),
      }),
    ]);
    // The open circuit kept the turn away from the primary entirely.
    expect(primaryCalls()).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, opened + cooldownMs + 200 - Date.now()));
    const retried = await turn();
    expect(retried.text).toBe('ok');
    expect(retried.fallbacks).toEqual([]);
    expect(primaryCalls()).toBe(3);
  }, 30_000);
});
