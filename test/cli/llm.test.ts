import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, type JobJson, type ListJson, makeHome, removeHomes } from '../support/cli.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';

let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer();
});

afterAll(async () => {
  await server.close();
  removeHomes();
});

describe('mem add with a configured chat model', () => {
  it('stores the Chinese facts the model extracted, with their kinds, and records token usage', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    writeFileSync(
      join(home, 'config.yaml'),
      `llm:\n  base_url: ${server.url}\n  model: qwen-plus\n  api_key_env: MNEMOS_CLI_LLM_KEY\n`,
    );
    server.script({
      json: {
        facts: [
          { text: '用户名叫李雷', kind: 'profile', salience: 0.9, entities: ['李雷'], date: null },
          { text: '用户不喜欢 Java', kind: 'preference', salience: 0.8, entities: ['Java'] },
        ],
      },
      usage: { prompt_tokens: 120, completion_tokens: 30 },
    });
    const added = await cli(['mem', 'add', '--sync', '--json', '我叫李雷，不喜欢 Java'], {
      env: { MNEMOS_CLI_LLM_KEY: 'sk-cli' },
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<JobJson>().memoryIds).toHaveLength(2);
    const [request] = server.requestsTo('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-cli');
    expect(request?.rawBody).toContain('我叫李雷，不喜欢 Java');
    const listed = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(Object.fromEntries(listed.memories.map((memory) => [memory.text, memory.kind]))).toEqual(
      { 用户名叫李雷: 'profile', '用户不喜欢 Java': 'preference' },
    );
    const jobs = (await cli(['mem', 'jobs', 'list', '--json'])).json<{
      jobs: Array<{ usage?: { promptTokens: number; completionTokens: number } }>;
    }>();
    expect(jobs.jobs[0]?.usage).toEqual({ promptTokens: 120, completionTokens: 30 });
  });
});
