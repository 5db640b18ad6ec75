import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoleStatus } from '../../src/models/model-status.js';
import {
  cliFor,
  type HistoryJson,
  type JobJson,
  type ListJson,
  makeHome,
  removeHomes,
  type SearchJson,
} from '../support/cli.js';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../support/model-server.js';

interface StatusJson {
  roles: RoleStatus[];
  detection: Array<{ variable: string; set: boolean }>;
  problems: string[];
  env: { exists: boolean; variables: string[] };
}

interface ProfileJson {
  profile: Array<{ key: string; value: string; source: string; memoryId: string | null }>;
}

let server: ModelServer;
const extractions: ScriptedReply[] = [];
const reconciliations: Array<(request: ChatRequest) => ScriptedReply> = [];

function prompt(request: ChatRequest, index: number): string {
  const content = request.messages?.[index]?.content;
  return typeof content === 'string' ? content : '';
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      if (prompt(request, 0).startsWith('You extract')) {
        return extractions.shift() ?? { json: { facts: [] } };
      }
      const next = reconciliations.shift();
      return next ? next(request) : { status: 500, error: 'unexpected call' };
    },
  });
});

beforeEach(() => {
  server.reset();
  extractions.length = 0;
  reconciliations.length = 0;
});

afterAll(async () => {
  await server.close();
  removeHomes();
});

/** `OLLAMA_HOST` pointing at the scripted server, as a user with a local Ollama would have it. */
function ollamaHost(): string {
  return new URL(server.url).host;
}

function role(status: StatusJson, name: string): RoleStatus {
  return status.roles.find((entry) => entry.role === name)!;
}

describe('mnemos status', () => {
  it('shows every role offline with nothing configured, and says why', async () => {
    const cli = cliFor(makeHome());
    const result = await cli(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = result.json<StatusJson>();
    expect(role(status, 'chat')).toMatchObject({ provider: 'none' });
    expect(role(status, 'extraction')).toMatchObject({
      provider: 'passthrough',
      note: expect.stringContaining('DASHSCOPE_API_KEY'),
    });
    expect(role(status, 'embedding')).toMatchObject({
      provider: 'builtin',
      chosenBy: 'default (embedder.provider unset)',
    });
    expect(role(status, 'rerank')).toMatchObject({ provider: 'none' });
    expect(status.detection.every((entry) => !entry.set)).toBe(true);
  });

  it('auto-detects DashScope from the home .env and never prints the key', async () => {
    const home = makeHome();
    writeFileSync(join(home, '.env'), 'DASHSCOPE_API_KEY=sk-secret-dash-123\n');
    const cli = cliFor(home);
    const result = await cli(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('sk-secret-dash-123');
    const status = result.json<StatusJson>();
    expect(status.env).toMatchObject({ exists: true, variables: ['DASHSCOPE_API_KEY'] });
    for (const name of ['chat', 'extraction']) {
      expect(role(status, name)).toMatchObject({
        provider: 'dashscope',
        model: 'qwen3-max',
        endpoint: 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
        chosenBy: 'DASHSCOPE_API_KEY',
        keyVariable: 'DASHSCOPE_API_KEY',
        keySet: true,
      });
    }
    const human = await cli(['status']);
    expect(human.stdout).toContain('DASHSCOPE_API_KEY (from .env)');
    expect(human.stdout).not.toContain('sk-secret-dash-123');
  });

  it('prefers config.yaml, separates the extraction model, and flags what cannot work', async () => {
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      'llm:\n  provider: openrouter\n  model: qwen/qwen3-max\nextraction_llm:\n  model: qwen/qwen-turbo\nreranker:\n  provider: llm\n',
    );
    const cli = cliFor(home);
    const status = (
      await cli(['status', '--json'], { env: { DASHSCOPE_API_KEY: 'k', OPENROUTER_API_KEY: 'k' } })
    ).json<StatusJson>();
    expect(role(status, 'chat')).toMatchObject({ provider: 'openrouter', model: 'qwen/qwen3-max' });
    expect(role(status, 'extraction')).toMatchObject({ model: 'qwen/qwen-turbo' });
    expect(role(status, 'rerank')).toMatchObject({
      provider: 'llm (openrouter)',
      model: 'qwen/qwen-turbo',
    });

    writeFileSync(join(home, 'config.yaml'), 'llm:\n  provider: openai-compatible\n');
    const broken = await cli(['status', '--json']);
    expect(broken.code).toBe(2);
    expect(broken.json<StatusJson>().problems[0]).toContain('needs llm.base_url');
    const add = await cli(['mem', 'add', '--json', 'hello']);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('config_error');
  });
});

describe('mem add with an auto-detected provider (OLLAMA_HOST → the scripted server)', () => {
  it('stores Chinese facts of the right kinds, updates the profile, then invalidates a contradicted fact', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const env = { OLLAMA_HOST: ollamaHost() };
    extractions.push({
      json: {
        facts: [
          {
            text: '用户名叫李雷',
            kind: 'profile',
            salience: 0.9,
            profile: { key: 'name', value: '李雷' },
          },
          {
            text: '用户使用 TypeScript 写后端',
            kind: 'profile',
            salience: 0.8,
            profile: { key: 'tech_stack', value: 'TypeScript' },
          },
          { text: '用户不喜欢 Java', kind: 'preference', salience: 0.8, profile: null },
        ],
      },
    });
    const added = await cli(
      ['mem', 'add', '--sync', '--json', '我叫李雷，我用 TypeScript 写后端，不喜欢 Java'],
      { env },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<JobJson>().status).toBe('succeeded');
    const [request] = server.requestsTo('/v1/chat/completions');
    expect((request!.body as ChatRequest).model).toBe('qwen2.5:7b');
    expect(prompt(request!.body as ChatRequest, 0)).toContain(
      'write each fact in the language the user wrote',
    );
    const listed = (await cli(['mem', 'list', '--json'], { env })).json<ListJson>();
    expect(Object.fromEntries(listed.memories.map((memory) => [memory.text, memory.kind]))).toEqual(
      {
        用户名叫李雷: 'profile',
        '用户使用 TypeScript 写后端': 'profile',
        '用户不喜欢 Java': 'preference',
      },
    );
    const profile = (await cli(['profile', 'show', '--json'], { env })).json<ProfileJson>();
    expect(Object.fromEntries(profile.profile.map((entry) => [entry.key, entry.value]))).toEqual({
      name: '李雷',
      tech_stack: 'TypeScript',
    });
    expect(profile.profile.every((entry) => entry.source === 'extracted' && entry.memoryId)).toBe(
      true,
    );

    const old = listed.memories.find((memory) => memory.text === '用户使用 TypeScript 写后端')!;
    extractions.push({
      json: {
        facts: [
          {
            text: '用户现在用 Go 写后端',
            kind: 'profile',
            salience: 0.8,
            profile: { key: 'tech_stack', value: 'Go' },
          },
        ],
      },
    });
    reconciliations.push((call) => {
      const line = prompt(call, 1)
        .split('\n')
        .find((text) => text.endsWith('] 用户使用 TypeScript 写后端'));
      return {
        json: {
          decisions: [
            { fact: 0, event: 'INVALIDATE', target: Number(/\[(\d+)\]/.exec(line!)![1]) },
          ],
        },
      };
    });
    const later = await cli(['mem', 'add', '--sync', '--json', '我现在改用 Go 写后端了'], { env });
    expect(later.json<JobJson>().status).toBe('succeeded');
    const history = (await cli(['mem', 'history', old.id, '--json'], { env })).json<HistoryJson>();
    expect(history.history.map((entry) => entry.event)).toEqual(['ADD', 'INVALIDATE']);
    const search = (
      await cli(['mem', 'search', '--json', 'TypeScript 写后端'], { env })
    ).json<SearchJson>();
    expect(search.results.map((result) => result.memory.id)).not.toContain(old.id);
    const withOld = (
      await cli(['mem', 'search', '--json', '--include-invalidated', 'TypeScript 写后端'], { env })
    ).json<SearchJson>();
    expect(withOld.results.map((result) => result.memory.id)).toContain(old.id);
    const changes = (await cli(['profile', 'history', '--json'], { env })).json<{
      history: Array<{ key: string; oldValue: string | null; newValue: string | null }>;
    }>();
    expect(changes.history[0]).toMatchObject({
      key: 'tech_stack',
      oldValue: 'TypeScript',
      newValue: 'Go',
    });
  });
});

describe('passthrough without a model', () => {
  it('says so once per home, and never to scripts', async () => {
    const cli = cliFor(makeHome());
    const first = await cli(['mem', 'add', '--sync', 'I prefer tea']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('without LLM extraction');
    expect(first.stderr).toContain('mnemos status');
    const second = await cli(['mem', 'add', '--sync', 'I prefer green tea']);
    expect(second.stderr).not.toContain('without LLM extraction');
    const scripted = await cliFor(makeHome())(['mem', 'add', '--sync', '--json', 'x y z']);
    expect(scripted.stderr).toBe('');
  });
});

describe('mnemos profile', () => {
  it('sets, shows, unsets and lists changes, per tenant, and rejects bad keys', async () => {
    const cli = cliFor(makeHome());
    expect((await cli(['profile', 'set', 'language', '中文'])).stdout).toBe('language = 中文\n');
    await cli(['profile', 'set', '--tenant', 'bob', 'language', 'English']);
    const shown = (await cli(['profile', 'show', '--json'])).json<ProfileJson>();
    expect(shown.profile).toEqual([
      expect.objectContaining({ key: 'language', value: '中文', source: 'user', memoryId: null }),
    ]);
    expect((await cli(['profile', 'unset', 'language', '--json'])).json()).toEqual({
      key: 'language',
      removed: true,
    });
    expect((await cli(['profile', 'show', '--json'])).json<ProfileJson>().profile).toEqual([]);
    const bob = (await cli(['profile', 'show', '--tenant', 'bob', '--json'])).json<ProfileJson>();
    expect(bob.profile.map((entry) => entry.value)).toEqual(['English']);
    const history = (await cli(['profile', 'history', '--json'])).json<{ count: number }>();
    expect(history.count).toBe(2);
    const bad = await cli(['profile', 'set', 'bad key!', 'x', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_input');
  });
});

describe('local ONNX models from config.yaml', () => {
  const fixtures = join(process.cwd(), 'test', 'fixtures', 'onnx');

  it('embeds with an ONNX embedder, reranks with a cross-encoder, and names the missing model clearly', async () => {
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      // Eight dimensions make unrelated texts near-duplicates; this test is about the models.
      `ingest:\n  near_duplicate_threshold: 1.01\nembedder:\n  provider: onnx\n  model: ${join(fixtures, 'embedder')}\nreranker:\n  provider: cross-encoder\n  model: ${join(fixtures, 'cross-encoder')}\n`,
    );
    const cli = cliFor(home);
    await cli(['mem', 'add', '--sync', 'alice lives in paris']);
    await cli(['mem', 'add', '--sync', 'bob drinks green tea every morning']);
    const described = (await cli(['stores', 'describe', 'mnemos', '--json'])).json<{
      embedderId: string;
      dimensions: number;
    }>();
    expect(described.embedderId).toMatch(/^onnx:embedder/);
    expect(described.dimensions).toBe(8);
    const status = (await cli(['status', '--json'])).json<StatusJson>();
    expect(role(status, 'embedding')).toMatchObject({ provider: 'onnx' });
    const search = await cli(['mem', 'search', '--json', '--rerank', 'where does alice live']);
    expect(search.code, search.stderr).toBe(0);
    const output = search.json<SearchJson & { warnings: string[] }>();
    expect(output.warnings).toEqual([]);
    expect(output.results[0]?.memory.text).toBe('alice lives in paris');
    expect(output.results[0]?.matched).toContain('rerank');

    writeFileSync(
      join(home, 'config.yaml'),
      'embedder:\n  provider: onnx\n  model: nobody/missing-model\n',
    );
    const missing = await cli(['mem', 'search', '--json', 'alice'], {
      env: { HF_HOME: join(home, 'hf') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('huggingface-cli download nobody/missing-model');
  });
});
