import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../../../test/support/model-server.js';
import { tempHome } from '../../../test/support/temp-home.js';
import { MnemosError } from '../../core/errors.js';
import { Mnemos } from '../../mnemos.js';

const scope = { appId: 'app', tenantId: 'u1' };
let server: ModelServer;
/** Replies of extraction calls and of reconciliation calls, routed by the system prompt. */
const extractions: ScriptedReply[] = [];
const reconciliations: Array<(request: ChatRequest) => ScriptedReply> = [];

function systemPrompt(request: ChatRequest): string {
  const content = request.messages?.[0]?.content;
  return typeof content === 'string' ? content : '';
}

function userPrompt(request: ChatRequest): string {
  const content = request.messages?.[1]?.content;
  return typeof content === 'string' ? content : '';
}

/** The handle `[n]` under which the reconciliation prompt shows `text`. */
function handleOf(request: ChatRequest, text: string): number {
  const line = userPrompt(request)
    .split('\n')
    .find((candidate) => candidate.endsWith(`] ${text}`));
  const match = line && /^\[(\d+)\]/.exec(line);
  if (!match) throw new Error(`"${text}" not shown to the reconciler:\n${userPrompt(request)}`);
  return Number(match[1]);
}

function facts(...list: Array<[string, string]>): ScriptedReply {
  return {
    json: {
      facts: list.map(([text, kind]) => ({
        text,
        kind,
        salience: 0.8,
        entities: [],
        date: null,
        sources: [0],
      })),
    },
  };
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      if (systemPrompt(request).startsWith('You extract')) {
        return extractions.shift() ?? { json: { facts: [] } };
      }
      const next = reconciliations.shift();
      if (!next) return { status: 500, error: 'unexpected reconciliation call' };
      return next(request);
    },
  });
});

afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  server.reset();
  extractions.length = 0;
  reconciliations.length = 0;
  home = tempHome();
  process.env.MNEMOS_TEST_LLM_KEY = 'sk-test-llm';
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      llm: { base_url: server.url, model: 'qwen-plus', api_key_env: 'MNEMOS_TEST_LLM_KEY' },
      ingest: { retry_base_ms: 10, max_attempts: 2 },
    },
  });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function chineseProfile(): Promise<Map<string, string>> {
  extractions.push(
    facts(
      ['用户名叫李雷', 'profile'],
      ['用户使用 TypeScript 写后端', 'profile'],
      ['用户不喜欢 Java', 'preference'],
    ),
  );
  const job = await mnemos.memories.add({
    scope,
    text: '我叫李雷，我用 TypeScript 写后端，不喜欢 Java',
    sync: true,
  });
  expect(job.status).toBe('succeeded');
  expect(job.memoryIds).toHaveLength(3);
  const { memories } = await mnemos.memories.list({ scope });
  return new Map(memories.map((memory) => [memory.text, memory.id]));
}

describe('ingestion with an LLM extractor and reconciler', () => {
  it('stores Chinese facts of the scripted kinds, asking with the language rule', async () => {
    const ids = await chineseProfile();
    const { memories } = await mnemos.memories.list({ scope });
    expect(Object.fromEntries(memories.map((memory) => [memory.text, memory.kind]))).toEqual({
      用户名叫李雷: 'profile',
      '用户使用 TypeScript 写后端': 'profile',
      '用户不喜欢 Java': 'preference',
    });
    expect(ids.size).toBe(3);
    const chats = server.requestsTo('/v1/chat/completions');
    // Nothing stored yet resembles the facts: one extraction call, no reconciliation call.
    expect(chats).toHaveLength(1);
    const request = chats[0]!.body as ChatRequest;
    expect(chats[0]!.headers.authorization).toBe('Bearer sk-test-llm');
    expect(request.model).toBe('qwen-plus');
    expect(systemPrompt(request)).toContain('write each fact in the language the user wrote');
    expect(userPrompt(request)).toContain('我叫李雷，我用 TypeScript 写后端，不喜欢 Java');
  });

  it('invalidates a contradicted fact, keeping it in history and out of search', async () => {
    const ids = await chineseProfile();
    const old = ids.get('用户不喜欢 Java')!;
    extractions.push(facts(['用户现在喜欢 Java', 'preference']));
    reconciliations.push((request) => ({
      json: {
        decisions: [{ fact: 0, event: 'INVALIDATE', target: handleOf(request, '用户不喜欢 Java') }],
      },
    }));
    const job = await mnemos.memories.add({ scope, text: '我现在喜欢 Java 了', sync: true });
    expect(job.status).toBe('succeeded');
    expect(reconciliations).toHaveLength(0);
    const invalidated = await mnemos.memories.get({ scope, id: old });
    expect(invalidated.validTo).not.toBeNull();
    expect(invalidated.deletedAt).toBeNull();
    const history = await mnemos.memories.history({ scope, id: old });
    expect(history.map((entry) => entry.event)).toEqual(['ADD', 'INVALIDATE']);
    expect(history[1]).toMatchObject({ oldText: '用户不喜欢 Java', reason: 'contradicted' });
    const { results } = await mnemos.memories.search({ scope, query: 'Java' });
    const texts = results.map((result) => result.memory.text);
    expect(texts).toContain('用户现在喜欢 Java');
    expect(texts).not.toContain('用户不喜欢 Java');
    const listed = await mnemos.memories.list({ scope });
    expect(listed.memories.map((memory) => memory.id)).not.toContain(old);
    // Extraction and reconciliation tokens are recorded on the job.
    const [latest] = await mnemos.memories.jobs({ scope });
    expect(latest?.id).toBe(job.id);
    const chats = server.requestsTo('/v1/chat/completions').slice(1);
    expect(chats).toHaveLength(2);
    expect(latest?.usage?.promptTokens).toBeGreaterThan(0);
    expect(latest?.usage?.completionTokens).toBeGreaterThan(0);
    const all = await mnemos.memories.list({ scope, includeDeleted: true });
    expect(all.memories.map((memory) => memory.id)).toContain(old);
  });

  it('merges an UPDATE into the target and reports a NONE without writing', async () => {
    const ids = await chineseProfile();
    const target = ids.get('用户使用 TypeScript 写后端')!;
    const name = ids.get('用户名叫李雷')!;
    extractions.push(facts(['用户也使用 Go 写后端', 'profile'], ['用户的名字是李雷', 'profile']));
    reconciliations.push((request) => ({
      json: {
        decisions: [
          {
            fact: 0,
            event: 'UPDATE',
            target: handleOf(request, '用户使用 TypeScript 写后端'),
            text: '用户使用 TypeScript 和 Go 写后端服务',
          },
          { fact: 1, event: 'NONE', target: handleOf(request, '用户名叫李雷') },
        ],
      },
    }));
    const job = await mnemos.memories.add({
      scope,
      text: '我用 TypeScript 和 Go 写后端。我的名字是李雷。',
      sync: true,
    });
    expect(job.status).toBe('succeeded');
    expect(job.memoryIds).toEqual([target, name]);
    const { memories, total } = await mnemos.memories.list({ scope });
    expect(total).toBe(3);
    expect(memories.find((memory) => memory.id === target)?.text).toBe(
      '用户使用 TypeScript 和 Go 写后端服务',
    );
    const history = await mnemos.memories.history({ scope, id: target });
    expect(history.at(-1)).toMatchObject({
      event: 'UPDATE',
      oldText: '用户使用 TypeScript 写后端',
      newText: '用户使用 TypeScript 和 Go 写后端服务',
      reason: 'llm_update',
    });
    expect((await mnemos.memories.history({ scope, id: name })).map((e) => e.event)).toEqual([
      'ADD',
    ]);
    const { results } = await mnemos.memories.search({ scope, query: 'Go 后端服务' });
    expect(results[0]?.memory.id).toBe(target);
  });

  it('lets the reconciler decide on a near fact, and settles the same statement without a call', async () => {
    extractions.push(facts(['Ravi Mori is allergic to pollen', 'fact']));
    const ravi = (await mnemos.memories.add({ scope, text: 'Ravi has hay fever', sync: true }))
      .memoryIds[0]!;
    server.reset();
    extractions.push(facts(['Theo Mori is allergic to pollen', 'fact']));
    reconciliations.push((request) => {
      // The near neighbour is shown, not merged on cosine: the model says it is another person.
      handleOf(request, 'Ravi Mori is allergic to pollen');
      return { json: { decisions: [{ fact: 0, event: 'ADD' }] } };
    });
    const theo = await mnemos.memories.add({ scope, text: 'Theo has hay fever', sync: true });
    expect(theo.memoryIds[0]).not.toBe(ravi);
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(2);
    server.reset();
    extractions.push(facts(['ravi mori is allergic to pollen.', 'fact']));
    const again = await mnemos.memories.add({
      scope: { ...scope, runId: 'later-session' },
      text: 'Ravi still has hay fever',
      sync: true,
    });
    expect(again.memoryIds).toEqual([ravi]);
    // Extraction only: the same statement needs no reconciliation call.
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(1);
    const memory = await mnemos.memories.get({ scope, id: ravi });
    expect(memory.sources.map((source) => source.jobId)).toEqual([memory.source.jobId, again.id]);
    expect((await mnemos.memories.list({ scope })).total).toBe(2);
  });

  it('adds the source of a fact the reconciler calls known (NONE)', async () => {
    const ids = await chineseProfile();
    const name = ids.get('用户名叫李雷')!;
    extractions.push(facts(['用户的名字是李雷', 'profile']));
    reconciliations.push((request) => ({
      json: { decisions: [{ fact: 0, event: 'NONE', target: handleOf(request, '用户名叫李雷') }] },
    }));
    const job = await mnemos.memories.add({
      scope: { ...scope, runId: 'second-session' },
      text: '我的名字是李雷',
      sync: true,
    });
    expect(job.memoryIds).toEqual([name]);
    const memory = await mnemos.memories.get({ scope, id: name });
    expect(memory.sources.at(-1)).toMatchObject({
      jobId: job.id,
      runId: 'second-session',
      text: '用户的名字是李雷',
    });
  });

  it('retries a job whose model answer is not JSON, then fails it with the reason and keeps its input', async () => {
    extractions.push({ text: 'sorry, no JSON today' }, { text: 'sorry, no JSON today' });
    const job = await mnemos.memories.add({ scope, text: '我叫李雷', sync: true });
    expect(job.status).toBe('failed');
    expect(job.error).toContain('not JSON');
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(2);
    const [stored] = await mnemos.memories.jobs({ scope });
    expect(stored?.attempts).toBe(2);
    expect(stored?.input.text).toBe('我叫李雷');
    expect((await mnemos.memories.list({ scope })).total).toBe(0);
  });

  it('fails a job whose reconciliation fails, writing nothing of it', async () => {
    await chineseProfile();
    extractions.push(
      facts(['用户现在喜欢 Java', 'preference']),
      facts(['用户现在喜欢 Java', 'preference']),
    );
    reconciliations.push(
      () => ({ text: '{"decisions": "nope"}' }),
      () => ({ text: '{"decisions": "nope"}' }),
    );
    const job = await mnemos.memories.add({ scope, text: '我现在喜欢 Java 了', sync: true });
    expect(job.status).toBe('failed');
    expect(job.error).toContain('decisions');
    expect((await mnemos.memories.list({ scope })).total).toBe(3);
  });
});

describe('extractor configuration', () => {
  it('uses passthrough without an llm section, and rejects extractor llm without one', async () => {
    const other = tempHome();
    try {
      const plain = await Mnemos.open({ home: other.home });
      try {
        const job = await plain.memories.add({ scope, text: '我叫李雷，不喜欢 Java', sync: true });
        expect(job.status).toBe('succeeded');
        const { memories } = await plain.memories.list({ scope });
        expect(memories.map((memory) => memory.text)).toEqual(['我叫李雷，不喜欢 Java']);
      } finally {
        await plain.close();
      }
      const error = await Mnemos.open({ home: other.home, config: { extractor: 'llm' } }).catch(
        (caught: unknown) => caught,
      );
      expect(MnemosError.isInstance(error) && error.code).toBe('config_error');
      expect((error as Error).message).toContain('extractor');
      expect((error as Error).message).toContain('llm');
    } finally {
      other.remove();
    }
  });
});

describe('the user profile, maintained from profile facts', () => {
  function withProfile(...list: Array<[string, string, { key: string; value: string } | null]>) {
    return {
      json: {
        facts: list.map(([text, kind, profile]) => ({
          text,
          kind,
          salience: 0.9,
          entities: [],
          date: null,
          sources: [0],
          profile,
        })),
      },
    };
  }

  it('sets keys from extracted facts, shows the current profile to the extractor, and tracks each change', async () => {
    extractions.push(
      withProfile(
        ['用户名叫李雷', 'profile', { key: 'name', value: '李雷' }],
        ['用户使用 TypeScript 写后端', 'profile', { key: 'Tech Stack', value: 'TypeScript' }],
        ['用户不喜欢 Java', 'preference', null],
      ),
    );
    const first = await mnemos.memories.add({
      scope,
      text: '我叫李雷，我用 TypeScript 写后端，不喜欢 Java',
      sync: true,
    });
    expect(first.status).toBe('succeeded');
    expect(await mnemos.profile.asRecord(scope)).toEqual({
      name: '李雷',
      tech_stack: 'TypeScript',
    });
    const entries = await mnemos.profile.get(scope);
    const nameMemory = (await mnemos.memories.list({ scope })).memories.find(
      (memory) => memory.text === '用户名叫李雷',
    );
    expect(entries.find((entry) => entry.key === 'name')).toMatchObject({
      source: 'extracted',
      memoryId: nameMemory?.id,
    });

    // A later contradiction: the old fact is invalidated, the profile key replaced.
    extractions.push(
      withProfile(['用户现在改用 Go 写后端', 'profile', { key: 'tech_stack', value: 'Go' }]),
    );
    reconciliations.push((request) => ({
      json: {
        decisions: [
          { fact: 0, event: 'INVALIDATE', target: handleOf(request, '用户使用 TypeScript 写后端') },
        ],
      },
    }));
    const second = await mnemos.memories.add({ scope, text: '我现在改用 Go 写后端了', sync: true });
    expect(second.status).toBe('succeeded');
    const extraction = server
      .requestsTo('/v1/chat/completions')
      .map((request) => request.body as ChatRequest)
      .filter((request) => systemPrompt(request).startsWith('You extract'))
      .at(-1)!;
    expect(userPrompt(extraction)).toContain(
      'Current profile of the user: {"name":"李雷","tech_stack":"TypeScript"}',
    );
    expect((await mnemos.profile.asRecord(scope)).tech_stack).toBe('Go');
    const history = await mnemos.profile.history(scope, { key: 'tech_stack' });
    expect(history.map((change) => [change.oldValue, change.newValue, change.source])).toEqual([
      ['TypeScript', 'Go', 'extracted'],
      [null, 'TypeScript', 'extracted'],
    ]);

    // The invalidated fact is out of default search, and back on request, marked.
    const plain = await mnemos.memories.search({ scope, query: 'TypeScript 写后端' });
    expect(plain.results.map((result) => result.memory.text)).not.toContain(
      '用户使用 TypeScript 写后端',
    );
    const all = await mnemos.memories.search({
      scope,
      query: 'TypeScript 写后端',
      includeInvalidated: true,
    });
    const old = all.results.find((result) => result.memory.text === '用户使用 TypeScript 写后端');
    expect(old?.memory.validTo).not.toBeNull();
    expect(old?.matched).toEqual(expect.arrayContaining(['keyword']));
  });

  it('drops an attribute with an unusable key but keeps the fact, and skips unchanged values', async () => {
    extractions.push(
      withProfile(
        ['用户住在杭州', 'profile', { key: '住址!', value: '杭州' }],
        ['用户偏好正式的回答', 'preference', { key: 'communication_style', value: '正式' }],
      ),
    );
    await mnemos.memories.add({ scope, text: '我住在杭州，回答请正式一点', sync: true });
    expect(await mnemos.profile.asRecord(scope)).toEqual({ communication_style: '正式' });
    expect((await mnemos.memories.list({ scope })).total).toBe(2);
    extractions.push(
      withProfile([
        '用户喜欢正式的回答',
        'preference',
        { key: 'communication_style', value: '正式' },
      ]),
    );
    reconciliations.push((request) => ({
      json: {
        decisions: [{ fact: 0, event: 'NONE', target: handleOf(request, '用户偏好正式的回答') }],
      },
    }));
    const again = await mnemos.memories.add({ scope, text: '我喜欢正式的回答', sync: true });
    expect(again.status).toBe('succeeded');
    expect(await mnemos.profile.history(scope)).toHaveLength(1);
  });

  it('is edited by hand, per tenant, with validation', async () => {
    const other = { appId: 'app', tenantId: 'u2' };
    await mnemos.profile.set(scope, 'language', '中文');
    await mnemos.profile.set(other, 'language', 'English');
    expect(await mnemos.profile.asRecord(scope)).toEqual({ language: '中文' });
    expect(await mnemos.profile.unset(scope, 'language')).toBe(true);
    expect(await mnemos.profile.unset(scope, 'language')).toBe(false);
    expect(await mnemos.profile.asRecord(other)).toEqual({ language: 'English' });
    const history = await mnemos.profile.history(scope);
    expect(history.map((change) => [change.oldValue, change.newValue, change.source])).toEqual([
      ['中文', null, 'user'],
      [null, '中文', 'user'],
    ]);
    await expect(mnemos.profile.set(scope, 'bad key!', 'x')).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(mnemos.profile.set(scope, 'bio', 'x'.repeat(501))).rejects.toMatchObject({
      code: 'limit_exceeded',
    });
    await expect(
      mnemos.profile.set({ appId: 'app', tenantId: '*' }, 'a', 'b'),
    ).rejects.toMatchObject({
      code: 'invalid_scope',
    });
  });
});

describe('one batch that invalidates a fact and repeats it', () => {
  it('does not revive the invalidated memory through a near-duplicate later in the batch', async () => {
    const ids = await chineseProfile();
    const old = ids.get('用户不喜欢 Java')!;
    // Job 1 contradicts the fact; job 2, in the same batch, restates it word for word.
    extractions.push(
      facts(['用户现在喜欢 Java', 'preference']),
      facts(['用户不喜欢 Java。', 'preference']),
    );
    reconciliations.push((request) => ({
      json: {
        decisions: [
          { fact: 0, event: 'INVALIDATE', target: handleOf(request, '用户不喜欢 Java') },
          {
            fact: 1,
            event: 'UPDATE',
            target: handleOf(request, '用户不喜欢 Java'),
            text: '用户不喜欢 Java',
          },
        ],
      },
    }));
    const jobs = await mnemos.memories.addMany(
      [
        { scope, text: '我现在喜欢 Java 了' },
        { scope, text: '我不喜欢 Java。' },
      ],
      { sync: true },
    );
    expect(jobs.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);
    const invalidated = await mnemos.memories.get({ scope, id: old });
    expect(invalidated.validTo).not.toBeNull();
    expect((await mnemos.memories.history({ scope, id: old })).map((entry) => entry.event)).toEqual(
      ['ADD', 'INVALIDATE'],
    );
    // The restated fact is a new memory; the invalidated one stays out of default search.
    const { results } = await mnemos.memories.search({ scope, query: '不喜欢 Java' });
    expect(results.map((result) => result.memory.id)).not.toContain(old);
    expect(jobs[1]!.memoryIds).toHaveLength(1);
    expect(jobs[1]!.memoryIds[0]).not.toBe(old);
  });
});
