import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { CronScheduler } from '../../src/scheduler/cron-scheduler.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';

/** The `cronjob` tool inside cron runs: off unless `cron.allow_agent_scheduling`. */

let server: ModelServer;
let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
const tenant = { appId: 'mnemos', tenantId: 'default' };

beforeAll(async () => {
  server = await startModelServer({ defaultReply: { text: 'done' } });
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

async function toolsOfOneRun(allowAgentScheduling: boolean): Promise<string[]> {
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      extractor: 'passthrough',
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      cron: { allow_agent_scheduling: allowAgentScheduling },
    },
  });
  await mnemos.cron.add(tenant, {
    name: 'planner',
    schedule: 'every 1d',
    task: { type: 'prompt', prompt: 'Plan tomorrow' },
  });
  await mnemos.cron.runNow(tenant, 'planner');
  const scheduler = new CronScheduler(mnemos, {});
  try {
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ jobName: 'planner', status: 'ok', output: 'done' });
  } finally {
    await scheduler.stop();
  }
  const request = server.requestsTo('/v1/chat/completions').at(-1)!.body as ChatRequest;
  return (request.tools ?? []).map(
    (tool) => (tool as { function: { name: string } }).function.name,
  );
}

describe('cronjob inside cron runs', () => {
  it('is not offered to the agent of a run by default, although the local toolsets have it', async () => {
    const tools = await toolsOfOneRun(false);
    expect(tools).not.toContain('cronjob');
    expect(mnemos.config.agent.toolsets).toContain('cron');
  });

  it('is offered with cron.allow_agent_scheduling', async () => {
    expect(await toolsOfOneRun(true)).toContain('cronjob');
  });
});
