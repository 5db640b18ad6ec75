import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { nextUtcMidnight } from '../../src/usage/usage-service.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { member, writeTeam } from '../teams/team-support.js';
import {
  baseConfig,
  call,
  expectError,
  parseSse,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * Token quotas of HTTP agent turns: counted in the database after every model call, checked
 * before every one, a turn refused with 429 `quota_exceeded` before any model request once a
 * quota is spent, and the counts kept across a restart.
 */

let model: ModelServer;
const servers: TestServer[] = [];
const chatRequests = (): number => model.requestsTo('/v1/chat/completions').length;

beforeAll(async () => {
  model = await startModelServer();
});
beforeEach(() => model.reset());
afterAll(async () => {
  for (const server of servers) await server.remove();
  await model?.close();
});

async function serverWith(quotas: string, home?: string): Promise<TestServer> {
  const server = await startTestServer(
    home
      ? { home }
      : {
          config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n  max_retries: 0\nagent:\n  quotas:\n${quotas}`,
        },
  );
  servers.push(server);
  return server;
}

async function keyOf(server: TestServer, tenantId: string): Promise<string> {
  return (await server.mnemos.keys.create({ appId: 'shop', tenantId })).key;
}

async function sessionOf(server: TestServer, key: string): Promise<string> {
  return (await call(server.url, key, 'POST', '/v1/sessions', { title: 'q' })).json<{
    id: string;
  }>().id;
}

const reply = (text: string, input: number, output: number) => ({
  text,
  usage: { prompt_tokens: input, completion_tokens: output },
});

describe('token quotas over HTTP', () => {
  it('refuses a turn with 429 before any model request once the daily quota is spent', async () => {
    const server = await serverWith('    per_user_daily_tokens: 100\n');
    const key = await keyOf(server, 'u1');
    const session = await sessionOf(server, key);
    model.script(reply('first answer', 80, 30));
    const first = await call(server.url, key, 'POST', `/v1/sessions/${session}/messages`, {
      content: 'hello',
    });
    expect(first.status, first.text).toBe(200);
    expect(first.json<{ reason: string }>().reason).toBe('answered');
    expect(chatRequests()).toBe(1);
    expect(
      await server.mnemos.usage.totals({ appId: 'shop', tenantId: 'u1' }, { sessionId: session }),
    ).toEqual({ input: 80, output: 30 });

    model.script(reply('never sent', 1, 1));
    for (const stream of [false, true]) {
      const refused = await call(server.url, key, 'POST', `/v1/sessions/${session}/messages`, {
        content: 'again',
        stream,
      });
      expectError(refused, 429, 'quota_exceeded');
      const { error } = refused.json<{
        error: { message: string; details: Record<string, unknown> };
      }>();
      const midnight = nextUtcMidnight(Date.now()).toISOString();
      expect(error.message).toContain('agent.quotas.per_user_daily_tokens');
      expect(error.message).toContain(`resets at ${midnight}`);
      expect(error.details).toMatchObject({
        quota: 'per_user_daily_tokens',
        limit: 100,
        used: 110,
        resetsAt: midnight,
      });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Neither refused turn reached the model, nor stored a message.
    expect(chatRequests()).toBe(1);
    const messages = await call(server.url, key, 'GET', `/v1/sessions/${session}/messages`);
    expect(messages.json<{ messages: unknown[] }>().messages).toHaveLength(2);

    // Another tenant has a day of its own.
    const other = await keyOf(server, 'u2');
    const theirs = await sessionOf(server, other);
    const allowed = await call(server.url, other, 'POST', `/v1/sessions/${theirs}/messages`, {
      content: 'hello',
    });
    expect(allowed.status, allowed.text).toBe(200);
    expect(chatRequests()).toBe(2);
  });

  it('holds team runs to the same quota: a spent day runs no step', async () => {
    const server = await serverWith('    per_user_daily_tokens: 100\n');
    writeTeam(server.home, 'research', {
      agents: [member('planner'), member('writer')],
      flow: 'planner -> writer',
    });
    const key = await keyOf(server, 'u1');
    const session = await sessionOf(server, key);
    model.script(reply('first answer', 80, 30));
    await call(server.url, key, 'POST', `/v1/sessions/${session}/messages`, { content: 'hello' });
    expect(chatRequests()).toBe(1);

    const run = await call(server.url, key, 'POST', '/v1/teams/research/run', { input: 'Kyoto' });
    const done = parseSse(run.text).find((event) => event.event === 'done');
    expect(done?.data).toMatchObject({ status: 'failed' });
    expect(JSON.stringify(done?.data)).toContain('quota');
    expect(chatRequests()).toBe(1);
  });

  it('stops a turn midway when the session quota is spent, then refuses the session only', async () => {
    const server = await serverWith('    per_session_tokens: 100\n');
    const key = await keyOf(server, 'u1');
    const session = await sessionOf(server, key);
    model.script(
      {
        toolCalls: [{ name: 'session_search', arguments: { query: 'tea' } }],
        usage: { prompt_tokens: 90, completion_tokens: 20 },
      },
      reply('never asked for', 1, 1),
    );
    const streamed = await call(server.url, key, 'POST', `/v1/sessions/${session}/messages`, {
      content: 'look it up',
      stream: true,
    });
    expect(streamed.status, streamed.text).toBe(200);
    const events = parseSse(streamed.text);
    // The tool ran; the second model call was not made.
    expect(events.some((event) => event.event === 'tool_result')).toBe(true);
    expect(chatRequests()).toBe(1);
    const notice = events.find((event) => event.event === 'notice');
    expect(String(notice?.data.message)).toMatch(/per_session_tokens/);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ reason: 'quota_exceeded', steps: 1 });
    expect(String(done.data.error)).toMatch(/does not reset: continue in a new session/);

    const refused = await call(server.url, key, 'POST', `/v1/sessions/${session}/messages`, {
      content: 'more',
    });
    expectError(refused, 429, 'quota_exceeded');
    expect(refused.json<{ error: { details: unknown } }>().error.details).toMatchObject({
      quota: 'per_session_tokens',
      used: 110,
      resetsAt: null,
    });
    expect(chatRequests()).toBe(1);

    model.reset();
    model.script(reply('fresh session', 5, 5));
    const fresh = await sessionOf(server, key);
    const answered = await call(server.url, key, 'POST', `/v1/sessions/${fresh}/messages`, {
      content: 'hello',
    });
    expect(answered.json<{ text: string }>().text).toBe('fresh session');
  });

  it('keeps the counts across a restart, so the quota still holds', async () => {
    const first = await serverWith('    per_user_tokens: 50\n');
    const key = await keyOf(first, 'u1');
    const session = await sessionOf(first, key);
    model.script(reply('spent it', 40, 20));
    const answer = await call(first.url, key, 'POST', `/v1/sessions/${session}/messages`, {
      content: 'hello',
    });
    expect(answer.status, answer.text).toBe(200);
    await first.stop();

    const reopened = await Mnemos.open({ home: first.home });
    expect(await reopened.usage.totals({ appId: 'shop', tenantId: 'u1' })).toEqual({
      input: 40,
      output: 20,
    });
    await reopened.close();

    const second = await serverWith('', first.home);
    const refused = await call(second.url, key, 'POST', `/v1/sessions/${session}/messages`, {
      content: 'again',
    });
    expectError(refused, 429, 'quota_exceeded');
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(
      /60 of the 50 tokens allowed in all \(agent\.quotas\.per_user_tokens\)/,
    );
    expect(chatRequests()).toBe(1);
  });
});
