import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { teamAgentFactory } from '../../src/agent/team-agents.js';
import type { TeamRunRecord } from '../../src/core/team-run-record.js';
import { Mnemos } from '../../src/mnemos.js';
import type { NumberedTeamEvent, TeamEvent } from '../../src/teams/team-runner.js';
import {
  type ChatHandler,
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { lastUser, member, roleOf, sleep, writeTeam } from './team-support.js';

let server: ModelServer;
/** How the model answers each role; the default answers `<role> says ok`. */
let answer: ChatHandler;
const tenant = { appId: 'app', tenantId: 'alice' };

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request, recorded, closed) => {
      if (roleOf(request) === null) return { text: 'ok' };
      return answer(request, recorded, closed);
    },
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome('mnemos-teams-');
  answer = (request) => ({ text: `${roleOf(request)} says ok` });
  server.requests.length = 0;
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      extractor: 'passthrough',
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      agent: { toolsets: ['todo'] },
    },
  });
});
afterEach(async () => {
  await mnemos.close();
  home.remove();
});

/** Chat requests made for one role, in order. */
function requestsOf(role: string): ChatRequest[] {
  return server
    .requestsTo('/v1/chat/completions')
    .map((recorded) => recorded.body as ChatRequest)
    .filter((request) => roleOf(request) === role);
}

async function run(
  name: string,
  input = 'Write about Kyoto temples',
): Promise<{ record: TeamRunRecord; events: TeamEvent[]; ids: string[] }> {
  const numbered: NumberedTeamEvent[] = [];
  const record = await mnemos.teams.run(tenant, name, input, {
    agents: teamAgentFactory(mnemos, { appId: tenant.appId, userId: tenant.tenantId }),
    onEvent: async (event) => {
      numbered.push(event);
    },
  });
  return { record, events: numbered.map((entry) => entry.event), ids: numbered.map((e) => e.id) };
}

const types = (events: TeamEvent[]): string[] =>
  events.filter((event) => event.type !== 'token').map((event) => event.type);

describe('team runner', () => {
  it('passes each output to the next step of a chain and stores the run', async () => {
    writeTeam(home.home, 'chain', { agents: [member('planner'), member('writer')] });
    answer = (request) =>
      roleOf(request) === 'planner'
        ? { text: 'PLAN-42: temples, gardens' }
        : { text: 'THE REPORT' };
    const { record, events, ids } = await run('chain');
    expect(record.status).toBe('succeeded');
    expect(record.output).toBe('THE REPORT');
    const writer = lastUser(requestsOf('writer')[0] as ChatRequest);
    expect(writer).toContain('Write about Kyoto temples');
    expect(writer).toContain(
      '=== output of planner ===\nPLAN-42: temples, gardens\n=== end of output of planner ===',
    );
    expect(lastUser(requestsOf('planner')[0] as ChatRequest)).not.toContain('output of');
    expect(types(events)).toEqual([
      'run_start',
      'step_start',
      'step_done',
      'step_start',
      'step_done',
      'done',
    ]);
    expect(ids).toEqual(ids.map((_, at) => `${record.id}.${at + 1}`));
    const stored = await mnemos.teams.getRun(tenant, record.id);
    expect(stored).toEqual(record);
    expect(stored.steps.map((step) => [step.role, step.status, step.output])).toEqual([
      ['planner', 'succeeded', 'PLAN-42: temples, gardens'],
      ['writer', 'succeeded', 'THE REPORT'],
    ]);
    expect(stored.usage.inputTokens).toBeGreaterThan(0);
    expect((await mnemos.teams.runs(tenant)).map((entry) => entry.id)).toEqual([record.id]);
    expect(await mnemos.teams.runs({ appId: 'app', tenantId: 'bob' })).toEqual([]);
    // Members write no long-term memory.
    await mnemos.drain();
    expect((await mnemos.memories.list({ scope: tenant })).memories).toEqual([]);
  });

  it('runs a bracketed group in parallel and gives the next step both outputs', async () => {
    writeTeam(home.home, 'dag', {
      agents: [member('planner'), member('a'), member('b'), member('writer')],
      flow: 'planner -> [a, b] -> writer',
    });
    answer = async (request) => {
      await sleep(300);
      return { text: `from ${roleOf(request)}` };
    };
    const { record, events } = await run('dag');
    expect(record.status).toBe('succeeded');
    const marks = events
      .filter((event) => event.type === 'step_start' || event.type === 'step_done')
      .map((event) => `${event.type}:${(event as { role: string }).role}`);
    const firstDone = marks.findIndex((mark) => mark === 'step_done:a' || mark === 'step_done:b');
    expect(marks.indexOf('step_start:a')).toBeLessThan(firstDone);
    expect(marks.indexOf('step_start:b')).toBeLessThan(firstDone);
    expect(marks.indexOf('step_start:writer')).toBeGreaterThan(marks.indexOf('step_done:a'));
    expect(marks.indexOf('step_start:writer')).toBeGreaterThan(marks.indexOf('step_done:b'));
    const writer = lastUser(requestsOf('writer')[0] as ChatRequest);
    expect(writer).toContain('=== output of a ===\nfrom a\n');
    expect(writer).toContain('=== output of b ===\nfrom b\n');
    expect(writer).not.toContain('from planner');
  });

  it('stops a runaway member at max_turns and skips the rest', async () => {
    writeTeam(home.home, 'runaway', {
      agents: [member('looper'), member('writer')],
      limits: { max_turns: 3 },
    });
    answer = (request) =>
      roleOf(request) === 'looper'
        ? {
            toolCalls: [
              { name: 'todo', arguments: { todos: [{ content: 'again', status: 'pending' }] } },
            ],
          }
        : { text: 'never' };
    const { record, events } = await run('runaway');
    expect(record.status).toBe('stopped');
    expect(record.error).toMatch(/^max_turns/);
    expect(requestsOf('looper')).toHaveLength(3);
    expect(requestsOf('writer')).toHaveLength(0);
    expect(record.steps.map((step) => [step.role, step.status])).toEqual([
      ['looper', 'failed'],
      ['writer', 'skipped'],
    ]);
    expect(events.filter((event) => event.type === 'tool_call').length).toBe(3);
    const done = events.at(-1);
    expect(done).toMatchObject({ type: 'done', status: 'stopped' });
    expect((done as { reason: string }).reason).toContain('max_turns');
  });

  it('stops before the next step once max_tokens is spent', async () => {
    writeTeam(home.home, 'costly', {
      agents: [member('planner'), member('writer')],
      limits: { max_tokens: 1_000 },
    });
    answer = () => ({
      text: 'a long plan',
      usage: { prompt_tokens: 5_000, completion_tokens: 10 },
    });
    const { record } = await run('costly');
    expect(record.status).toBe('stopped');
    expect(record.error).toContain('max_tokens');
    expect(record.error).toContain('5010');
    expect(requestsOf('writer')).toHaveLength(0);
    expect(record.usage).toEqual({ inputTokens: 5_000, outputTokens: 10 });
  });

  it('stops a hung step at step_timeout_ms', async () => {
    writeTeam(home.home, 'hung', {
      agents: [member('planner'), member('writer')],
      limits: { step_timeout_ms: 1_000 },
    });
    answer = async (request) => {
      if (roleOf(request) === 'writer') await sleep(60_000);
      return { text: 'plan' };
    };
    const started = Date.now();
    const { record, events } = await run('hung');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(record.status).toBe('stopped');
    expect(record.error).toBe('step_timeout_ms: step writer took longer than 1000 ms');
    expect(events.find((event) => event.type === 'step_failed')).toMatchObject({ role: 'writer' });
    expect(record.steps.map((step) => step.status)).toEqual(['succeeded', 'failed']);
  });

  it('ends early when the critic approves, skipping later steps', async () => {
    writeTeam(home.home, 'reviewed', {
      agents: [member('writer'), member('editor'), member('critic')],
      flow: 'writer -> editor',
      critic: { role: 'critic', reviews: 'writer' },
    });
    answer = (request) =>
      roleOf(request) === 'critic' ? { text: 'Fine work. APPROVED' } : { text: 'DRAFT ONE' };
    const { record, events } = await run('reviewed');
    expect(record.status).toBe('succeeded');
    expect(record.output).toBe('DRAFT ONE');
    expect(record.note).toBe('approved by critic');
    expect(requestsOf('editor')).toHaveLength(0);
    expect(lastUser(requestsOf('critic')[0] as ChatRequest)).toContain('DRAFT ONE');
    expect(record.steps.map((step) => [step.role, step.status])).toEqual([
      ['writer', 'succeeded'],
      ['critic', 'succeeded'],
      ['editor', 'skipped'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'done', reason: 'approved by critic' });
  });

  it('redoes the reviewed step with the critique until approved', async () => {
    writeTeam(home.home, 'redo', {
      agents: [member('writer'), member('critic')],
      critic: { role: 'critic', reviews: 'writer', approve_marker: 'LGTM', max_rounds: 3 },
    });
    let drafts = 0;
    let reviews = 0;
    answer = (request) => {
      if (roleOf(request) === 'writer') return { text: `DRAFT ${++drafts}` };
      return { text: ++reviews === 1 ? 'Too short: add the gardens.' : 'LGTM' };
    };
    const { record } = await run('redo');
    expect(record.status).toBe('succeeded');
    expect(record.output).toBe('DRAFT 2');
    const second = lastUser(requestsOf('writer')[1] as ChatRequest);
    expect(second).toContain('Too short: add the gardens.');
    expect(second).toContain('DRAFT 1');
    expect(record.steps.map((step) => `${step.role}#${step.round}`)).toEqual([
      'writer#1',
      'critic#1',
      'writer#2',
      'critic#2',
    ]);
  });

  it('runs no more than max_parallel steps at once', async () => {
    writeTeam(home.home, 'narrow', {
      agents: [member('a'), member('b'), member('c')],
      flow: '[a, b, c]',
      limits: { max_parallel: 1 },
    });
    answer = async (request) => {
      await sleep(50);
      return { text: `from ${roleOf(request)}` };
    };
    const { record, events } = await run('narrow');
    expect(record.status).toBe('succeeded');
    const marks = events
      .filter((event) => event.type === 'step_start' || event.type === 'step_done')
      .map((event) => event.type);
    expect(marks).toEqual([
      'step_start',
      'step_done',
      'step_start',
      'step_done',
      'step_start',
      'step_done',
    ]);
  });

  it('stops at the run timeout_ms and when cancelled', async () => {
    writeTeam(home.home, 'slow', {
      agents: [member('planner'), member('writer')],
      limits: { timeout_ms: 1_000 },
    });
    answer = async (request) => {
      if (roleOf(request) === 'writer') await sleep(60_000);
      return { text: 'plan' };
    };
    const timedOut = await run('slow');
    expect(timedOut.record.status).toBe('stopped');
    expect(timedOut.record.error).toBe('timeout_ms: the run took longer than 1000 ms');

    const controller = new AbortController();
    const cancelled = await mnemos.teams.run(tenant, 'slow', 'go', {
      agents: teamAgentFactory(mnemos, { appId: tenant.appId, userId: tenant.tenantId }),
      signal: controller.signal,
      onEvent: ({ event }) => {
        if (event.type === 'step_start' && event.role === 'writer') controller.abort();
      },
    });
    expect(cancelled.status).toBe('stopped');
    expect(cancelled.error).toBe('cancelled');
    expect(cancelled.steps.map((step) => [step.role, step.status])).toEqual([
      ['planner', 'succeeded'],
      ['writer', 'failed'],
    ]);
    expect((await mnemos.teams.getRun(tenant, cancelled.id)).status).toBe('stopped');
  });

  it('fails the run when a step fails, naming the step', async () => {
    writeTeam(home.home, 'broken', { agents: [member('planner'), member('writer')] });
    answer = (request) =>
      roleOf(request) === 'planner' ? { status: 500, error: 'model exploded' } : { text: 'x' };
    const { record } = await run('broken');
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/^step planner: /);
    expect(requestsOf('writer')).toHaveLength(0);
  });

  it('fails a run its process left running once it is older than any run may last', async () => {
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const left = {
      id: 'left-running',
      team: 'chain',
      input: 'x',
      status: 'running' as const,
      output: '',
      steps: [],
      usage: { inputTokens: 0, outputTokens: 0 },
      startedAt: old,
      finishedAt: null,
    };
    await mnemos.storage.teamRuns.create(tenant, left);
    await mnemos.storage.teamRuns.create(tenant, {
      ...left,
      id: 'recent',
      startedAt: new Date().toISOString(),
    });
    await mnemos.close();
    mnemos = await Mnemos.open({ home: home.home, config: { extractor: 'passthrough' } });
    expect(await mnemos.teams.getRun(tenant, 'left-running')).toMatchObject({
      status: 'failed',
      error: 'interrupted: the process running the team ended before the run did',
    });
    expect((await mnemos.teams.getRun(tenant, 'recent')).status).toBe('running');
  });
});
