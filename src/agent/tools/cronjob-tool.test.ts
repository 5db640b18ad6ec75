import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../../../test/support/model-server.js';
import { tempHome } from '../../../test/support/temp-home.js';
import { Mnemos } from '../../mnemos.js';
import { createAgent } from '../create-agent.js';

let server: ModelServer;
let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
const tenant = { appId: 'shop', tenantId: 'alice' };

beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  home = tempHome();
});
afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function open(agent: Record<string, unknown> = {}): Promise<void> {
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      extractor: 'passthrough',
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      agent,
    },
  });
}

function chats(): ChatRequest[] {
  return server.requestsTo('/v1/chat/completions').map((request) => request.body as ChatRequest);
}

function toolNames(request: ChatRequest): string[] {
  return (request.tools ?? []).map(
    (tool) => (tool as { function: { name: string } }).function.name,
  );
}

/** The tool results the model was sent, parsed. */
function toolResults(): unknown[] {
  const last = chats().at(-1)!;
  return (last.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => JSON.parse(String(message.content)) as unknown);
}

describe('cronjob tool', () => {
  it('locally, by default: the model creates a job for its own tenant and lists it', async () => {
    await open();
    server.script(
      {
        toolCalls: [
          {
            name: 'cronjob',
            arguments: {
              action: 'create',
              name: 'stretch',
              schedule: 'every 2h',
              prompt: 'Remind Alice to stretch',
              deliver: ['log'],
            },
          },
        ],
      },
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'list' } }] },
      { text: 'Scheduled: every two hours.' },
    );
    const agent = createAgent({
      mnemos,
      appId: tenant.appId,
      userId: tenant.tenantId,
      memory: false,
    });
    try {
      const done = await agent.turn('Remind me to stretch every two hours');
      expect(done.text).toBe('Scheduled: every two hours.');
    } finally {
      await agent.close();
    }
    expect(toolNames(chats()[0]!)).toContain('cronjob');
    const [created, listed] = toolResults() as [
      { created: { name: string; schedule: string } },
      { jobs: Array<{ name: string; task: string }>; count: number },
    ];
    expect(created.created).toMatchObject({ name: 'stretch', schedule: 'every 2h' });
    expect(listed).toMatchObject({
      count: 1,
      jobs: [{ name: 'stretch', task: 'Remind Alice to stretch' }],
    });
    const job = await mnemos.cron.get(tenant, 'stretch');
    expect(job).toMatchObject({ origin: 'local', deliver: ['log'], task: { type: 'prompt' } });
    expect(await mnemos.cron.list({ appId: 'shop', tenantId: 'bob' })).toEqual([]);
  });

  it('updates and removes a job; a new prompt keeps the skill of a skill job', async () => {
    await open();
    await mnemos.cron.add(tenant, {
      name: 'review',
      schedule: '@daily',
      task: { type: 'skill', skill: 'daily-review', prompt: 'Review today' },
    });
    await mnemos.cron.add(tenant, {
      name: 'old',
      schedule: '@daily',
      task: { type: 'prompt', prompt: 'Old' },
    });
    server.script(
      {
        toolCalls: [
          {
            name: 'cronjob',
            arguments: {
              action: 'update',
              name: 'review',
              schedule: '0 18 * * *',
              prompt: 'Review this week',
            },
          },
        ],
      },
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'remove', name: 'old' } }] },
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'update', name: 'review' } }] },
      { text: 'ok' },
    );
    const agent = createAgent({
      mnemos,
      appId: tenant.appId,
      userId: tenant.tenantId,
      memory: false,
    });
    try {
      await agent.turn('move my review to 6 pm and drop the old job');
    } finally {
      await agent.close();
    }
    const results = chats()
      .at(-1)!
      .messages!.filter((message) => message.role === 'tool')
      .map((message) => String(message.content));
    expect(JSON.parse(results[0]!)).toMatchObject({
      updated: { name: 'review', schedule: '0 18 * * *' },
    });
    expect(JSON.parse(results[1]!)).toEqual({ removed: 'old' });
    expect(results[2]).toContain('give at least one field to change');
    expect(await mnemos.cron.get(tenant, 'review')).toMatchObject({
      schedule: '0 18 * * *',
      task: { type: 'skill', skill: 'daily-review', prompt: 'Review this week' },
    });
    expect((await mnemos.cron.list(tenant)).map((job) => job.name)).toEqual(['review']);
  });

  it('is not offered on HTTP turns unless the surface lists `cron`; there, jobs have origin http', async () => {
    await open();
    server.script({ text: 'no tools' });
    const plain = createAgent({
      mnemos,
      ...{ appId: 'shop', userId: 'alice' },
      surface: 'http',
      memory: false,
    });
    try {
      await plain.turn('hi');
    } finally {
      await plain.close();
    }
    expect(toolNames(chats()[0]!)).not.toContain('cronjob');
    await mnemos.close();

    server.reset();
    await open({ surfaces: { http: { toolsets: ['cron'] } } });
    server.script(
      {
        toolCalls: [
          {
            name: 'cronjob',
            arguments: {
              action: 'create',
              name: 'leak',
              schedule: 'in 1h',
              prompt: 'Write secrets',
              deliver: ['file:/tmp/leak.md'],
            },
          },
          {
            name: 'cronjob',
            arguments: { action: 'create', name: 'ok', schedule: 'in 1h', prompt: 'Say hi' },
          },
        ],
      },
      // One call per step: calls of one step may run at once.
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'run', name: 'ok' } }] },
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'pause', name: 'ok' } }] },
      { toolCalls: [{ name: 'cronjob', arguments: { action: 'run', name: 'ok' } }] },
      { text: 'done' },
    );
    const agent = createAgent({
      mnemos,
      appId: 'shop',
      userId: 'alice',
      surface: 'http',
      memory: false,
    });
    try {
      await agent.turn('schedule things');
    } finally {
      await agent.close();
    }
    const results = chats()
      .at(-1)!
      .messages!.filter((message) => message.role === 'tool')
      .map((message) => String(message.content));
    expect(results[0]).toContain('file targets are only for jobs created locally');
    expect(JSON.parse(results[1]!)).toMatchObject({ created: { name: 'ok' } });
    expect(JSON.parse(results[2]!)).toMatchObject({ queued: { name: 'ok' } });
    expect(JSON.parse(results[3]!)).toMatchObject({ paused: { name: 'ok', next: 'paused' } });
    expect(results[4]).toContain('paused; resume it first');
    expect((await mnemos.cron.list(tenant)).map((job) => [job.name, job.origin])).toEqual([
      ['ok', 'http'],
    ]);
  });
});
