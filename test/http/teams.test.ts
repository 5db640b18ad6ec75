import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamRunRecord } from '../../src/core/team-run-record.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { lastUser, member, roleOf, writeTeam } from '../teams/team-support.js';
import {
  baseConfig,
  call,
  expectError,
  parseSse,
  startTestServer,
  type TestServer,
} from './helpers.js';

let model: ModelServer;
let app: TestServer;
let alice = '';
let bob = '';

beforeAll(async () => {
  model = await startModelServer({
    defaultReply: (request: ChatRequest) => {
      const role = roleOf(request);
      if (role === 'planner') return { text: 'PLAN: temples then gardens' };
      if (role === 'writer') return { text: 'REPORT: Kyoto' };
      return { text: 'ok' };
    },
  });
  app = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: chat-model\n  max_retries: 0\nagent:\n  toolsets: [todo, terminal]\n  surfaces:\n    http:\n      toolsets: [todo]\n`,
  });
  writeTeam(app.home, 'research', {
    description: 'Plans, then writes',
    agents: [member('planner', { tools: ['terminal', 'todo'] }), member('writer')],
    flow: 'planner -> writer',
  });
  alice = (await app.mnemos.keys.create({ appId: 'app', tenantId: 'alice', name: 'a' })).key;
  bob = (await app.mnemos.keys.create({ appId: 'app', tenantId: 'bob', name: 'b' })).key;
});
afterAll(async () => {
  await app.remove();
  await model.close();
});

function toolNames(request: ChatRequest): string[] {
  return (request.tools ?? []).map(
    (tool) => (tool as { function?: { name?: string } }).function?.name ?? '',
  );
}

describe('teams over HTTP', () => {
  it('lists and reads teams; unknown names are 404', async () => {
    const list = await call(app.url, alice, 'GET', '/v1/teams');
    expect(list.status, list.text).toBe(200);
    expect(list.json()).toMatchObject({
      teams: [{ name: 'research', members: ['planner', 'writer'], flow: 'planner -> writer' }],
      broken: [],
    });
    const one = await call(app.url, alice, 'GET', '/v1/teams/research');
    expect(
      one.json<{ definition: { limits: { max_turns: number } } }>().definition.limits.max_turns,
    ).toBe(40);
    expectError(await call(app.url, alice, 'GET', '/v1/teams/nope'), 404, 'not_found');
    expectError(
      await call(app.url, alice, 'POST', '/v1/teams/nope/run', { input: 'x' }),
      404,
      'not_found',
    );
    expectError(
      await call(app.url, alice, 'POST', '/v1/teams/research/run', {}),
      400,
      'invalid_input',
    );
  });

  it('runs a team as SSE from an object body, stores it per tenant, resumes after Last-Event-ID', async () => {
    model.requests.length = 0;
    const answer = await call(app.url, alice, 'POST', '/v1/teams/research/run', {
      topic: 'Kyoto temples',
      depth: 3,
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const runId = answer.headers.get('x-mnemos-run') as string;
    const events = parseSse(answer.text);
    expect(events.filter((event) => event.event !== 'token').map((event) => event.event)).toEqual([
      'run_start',
      'step_start',
      'step_done',
      'step_start',
      'step_done',
      'done',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, at) => `${runId}.${at + 1}`));
    expect(events[0]?.data).toEqual({ runId, team: 'research' });
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'REPORT: Kyoto' });
    const requests = model.requestsTo('/v1/chat/completions').map((r) => r.body as ChatRequest);
    const planner = requests.find((request) => roleOf(request) === 'planner') as ChatRequest;
    expect(lastUser(planner)).toBe('topic: Kyoto temples\ndepth: 3');
    // The http surface: the member's declared terminal is not offered.
    expect(toolNames(planner)).toContain('todo');
    expect(toolNames(planner)).not.toContain('terminal');

    const resumed = await call(app.url, alice, 'GET', `/v1/teams/runs/${runId}/events`, undefined, {
      'last-event-id': `${runId}.2`,
    });
    expect(resumed.status, resumed.text).toBe(200);
    expect(parseSse(resumed.text)).toEqual(events.slice(2));

    const stored = await call(app.url, alice, 'GET', `/v1/teams/runs/${runId}`);
    expect(stored.status, stored.text).toBe(200);
    const run = stored.json<TeamRunRecord>();
    expect(run).toMatchObject({
      id: runId,
      team: 'research',
      status: 'succeeded',
      output: 'REPORT: Kyoto',
    });
    expect(run.steps.map((step) => step.role)).toEqual(['planner', 'writer']);
    const listed = await call(app.url, alice, 'GET', '/v1/teams/runs?team=research');
    expect(listed.json<{ runs: TeamRunRecord[] }>().runs.map((entry) => entry.id)).toEqual([runId]);

    // Another tenant sees nothing of it.
    expectError(await call(app.url, bob, 'GET', `/v1/teams/runs/${runId}`), 404, 'not_found');
    expectError(
      await call(app.url, bob, 'GET', `/v1/teams/runs/${runId}/events`),
      404,
      'not_found',
    );
    expect((await call(app.url, bob, 'GET', '/v1/teams/runs')).json()).toEqual({ runs: [] });
  });

  it('takes {"input": ...} as the input itself', async () => {
    model.requests.length = 0;
    const answer = await call(app.url, bob, 'POST', '/v1/teams/research/run', {
      input: 'Nara deer',
    });
    expect(parseSse(answer.text).at(-1)?.data).toMatchObject({ status: 'succeeded' });
    const planner = model
      .requestsTo('/v1/chat/completions')
      .map((r) => r.body as ChatRequest)
      .find((request) => roleOf(request) === 'planner') as ChatRequest;
    expect(lastUser(planner)).toBe('Nara deer');
  });
});
