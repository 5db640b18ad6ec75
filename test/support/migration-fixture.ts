import { expect } from 'vitest';
import {
  type AgentDefinitionRecord,
  agentDefinitionSchema,
} from '../../src/core/agent-definition.js';
import type { CronJobRecord, CronRunRecord } from '../../src/core/cron-record.js';
import type { GatewayAccount } from '../../src/core/gateway-record.js';
import type { SkillRecord } from '../../src/core/skill-record.js';
import type { TeamRunRecord } from '../../src/core/team-run-record.js';
import type { Mnemos } from '../../src/mnemos.js';
import { indexTokens } from '../../src/text/tokenizer.js';

/** Two tenants of one app; the copy must keep them apart. */
export const alice = { appId: 'app', tenantId: 'alice' };
export const bob = { appId: 'app', tenantId: 'bob' };

/** What {@link fillHome} wrote, to check in the copy. */
export interface Filled {
  /** Alice's live memories by text. */
  ids: Map<string, string>;
  deleted: string;
  invalidated: string;
  sessionId: string;
  /** A key's secret, to authenticate against the copy. */
  key: string;
  /** Alice's skill at its second version. */
  skill: SkillRecord;
  /** Alice's finished team run. */
  teamRun: TeamRunRecord;
  /** Alice's agent definition at its second version. */
  agent: AgentDefinitionRecord;
  /** Alice's cron job after one finished run, and that run. */
  cron: { job: CronJobRecord; run: CronRunRecord };
}

const aliceTexts = [
  '我喜欢喝绿茶，不喜欢咖啡',
  '用户住在杭州西湖区',
  'Alice prefers window seats on long flights',
  'Her sister Marie lives in Lyon',
  'The quarterly report is due on Friday',
  '周末常去爬山',
];

/** Arguments of the session's tool call: longer than a metadata value may be. */
const toolInput = { url: 'https://kyoto.travel/spring', note: '京都'.repeat(1_000) };

/**
 * Writes one of everything a migration copies: memories of two tenants and several agents (one
 * updated, one deleted, one invalidated, one said in two sessions), a second store, a session with messages, profile
 * values with history, an API key and audit rows, skills with versions (one deleted) of two tenants,
 * token usage of two sessions over two days, a team run,
 * agent definitions of two tenants.
 */
export async function fillHome(mnemos: Mnemos): Promise<Filled> {
  const ids = new Map<string, string>();
  for (const [index, text] of aliceTexts.entries()) {
    const job = await mnemos.memories.add({
      scope: { ...alice, agentId: index % 2 ? 'planner' : 'default' },
      text,
      metadata: { topic: index < 2 ? 'life' : 'work' },
      sync: true,
    });
    ids.set(text, job.memoryIds[0]!);
  }
  // Said again in another session: one memory with two sources.
  await mnemos.memories.add({
    scope: { ...alice, runId: 'second-session' },
    text: aliceTexts[0]!,
    metadata: { topic: 'again' },
    sync: true,
  });
  await mnemos.memories.add({ scope: bob, text: 'Bob also likes green tea', sync: true });
  await mnemos.stores.create({ name: 'notes', description: 'second store' });
  await mnemos.memories.add({ store: 'notes', scope: alice, text: '书架上有三本小说', sync: true });
  const updated = ids.get('The quarterly report is due on Friday')!;
  await mnemos.memories.update(
    { scope: alice, id: updated },
    { text: 'The quarterly report is due on Monday' },
  );
  ids.delete('The quarterly report is due on Friday');
  ids.set('The quarterly report is due on Monday', updated);
  const deleted = (await mnemos.memories.add({ scope: alice, text: 'temporary note', sync: true }))
    .memoryIds[0]!;
  await mnemos.memories.delete({ scope: alice, id: deleted });
  const invalidatedText = 'Alice works at Initech';
  const invalidated = (
    await mnemos.memories.add({ scope: alice, text: invalidatedText, sync: true })
  ).memoryIds[0]!;
  const store = mnemos.config.memory_store_name;
  await mnemos.storage.memories.apply(
    store,
    alice,
    [
      {
        type: 'update',
        id: invalidated,
        reason: 'superseded',
        patch: { validTo: Date.now(), tokens: indexTokens(invalidatedText).join(' ') },
      },
    ],
    Date.now(),
  );
  const session = await mnemos.sessions.create(alice, { title: '旅行计划' });
  await mnemos.sessions.append(alice, session.id, [
    { role: 'user', content: '帮我规划去京都的行程' },
    {
      role: 'assistant',
      content: 'Kyoto in spring: temples and cherry blossoms',
      parts: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'web_fetch', input: toolInput }],
    },
  ]);
  await mnemos.profile.set(alice, 'city', '杭州');
  await mnemos.profile.set(alice, 'city', 'Hangzhou');
  const { key, record } = await mnemos.keys.create({ ...alice, name: 'ci' });
  await mnemos.keys.audit({
    appId: alice.appId,
    tenantId: alice.tenantId,
    keyId: record.id,
    method: 'POST',
    path: '/v1/memories',
    status: 202,
    store,
  });
  const skill = await writeSkills(mnemos);
  await mnemos.storage.usage.add(alice, session.id, '2026-01-01', { input: 120, output: 30 });
  await mnemos.storage.usage.add(alice, session.id, '2026-01-02', { input: 5, output: 1 });
  await mnemos.storage.usage.add(bob, 'other', '2026-01-02', { input: 9, output: 9 });
  const teamRun: TeamRunRecord = {
    id: 'run-1',
    team: 'research',
    input: 'topic: 京都',
    status: 'succeeded',
    output: 'a report',
    steps: [
      {
        role: 'planner',
        round: 1,
        status: 'succeeded',
        output: 'a plan',
        usage: { inputTokens: 10, outputTokens: 5 },
        steps: 1,
        startedAt: '2026-01-02T03:04:05.006Z',
        finishedAt: '2026-01-02T03:04:06.006Z',
      },
    ],
    usage: { inputTokens: 10, outputTokens: 5 },
    note: 'approved by critic',
    startedAt: '2026-01-02T03:04:05.006Z',
    finishedAt: '2026-01-02T03:04:07.006Z',
  };
  await mnemos.storage.teamRuns.create(alice, teamRun);
  const agent = await writeAgents(mnemos);
  const cron = await writeCron(mnemos);
  await mnemos.storage.gateway.saveAccount(gatewayAccount);
  await mnemos.storage.gateway.bind(alice, gatewayBinding);
  return { ids, deleted, invalidated, sessionId: session.id, key, skill, teamRun, agent, cron };
}

/** Alice's `digest` job with one finished run. */
async function writeCron(mnemos: Mnemos): Promise<{ job: CronJobRecord; run: CronRunRecord }> {
  const cron = mnemos.storage.cron;
  const at = Date.parse('2026-01-02T09:00:00.000Z');
  await cron.create(alice, {
    id: '0123456789ab',
    appId: alice.appId,
    tenantId: alice.tenantId,
    name: 'digest',
    schedule: '0 9 * * *',
    scheduleKind: 'cron',
    timezone: 'Asia/Shanghai',
    task: { type: 'prompt', prompt: '总结今天的新闻' },
    agent: null,
    deliver: ['log'],
    memory: false,
    origin: 'local',
    repeat: { times: null, completed: 0 },
    paused: false,
    nextRunAt: new Date(at).toISOString(),
    lastRunAt: null,
    lastStatus: null,
    lastError: null,
    lease: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  const claim = { jobId: '0123456789ab', worker: 'w', now: at, runId: 'cron-run-1' };
  await cron.claim(alice, {
    ...claim,
    expectedNextRunAt: at,
    nextRunAt: at + 86_400_000,
    leaseUntil: at + 60_000,
  });
  const run = await cron.finish(alice, {
    ...claim,
    status: 'ok',
    output: 'Cronjob Response: digest',
    error: null,
    deliveries: [{ target: 'log', ok: true }],
    sessionId: null,
  });
  const job = await cron.get(alice, 'digest');
  return { job: job!, run: run! };
}

/** Alice's `support` at version 2 and her `writer`, Bob's `support`. */
async function writeAgents(mnemos: Mnemos): Promise<AgentDefinitionRecord> {
  const agents = mnemos.storage.agents;
  const support = (description: string) =>
    agentDefinitionSchema.parse({
      name: 'support',
      description,
      system_prompt: '你是客服助手。Answer briefly.',
      tools: [
        'web',
        { type: 'openapi', name: 'orders', spec_url: 'https://shop.example/api.json' },
      ],
    });
  const now = Date.now();
  await agents.save(alice, { definition: support('first') }, now);
  const agent = await agents.save(
    alice,
    { definition: support('售后'), expectedVersion: 1 },
    now + 1,
  );
  await agents.save(alice, { definition: agentDefinitionSchema.parse({ name: 'writer' }) }, now);
  await agents.save(bob, { definition: support('bob') }, now);
  return agent;
}

/** Alice's `deploy` at version 2 (used once), her `scratch` deleted at version 2, Bob's `deploy`. */
async function writeSkills(mnemos: Mnemos): Promise<SkillRecord> {
  const skills = mnemos.storage.skills;
  const base = {
    name: 'deploy',
    description: 'Deploy the app',
    origin: 'agent' as const,
    status: 'active' as const,
    provenance: [],
    actor: 'agent' as const,
  };
  const now = Date.now();
  const first = { 'SKILL.md': '---\nname: deploy\n---\n1. build\n' };
  await skills.save(
    alice,
    { ...base, files: first, expectedVersion: null, action: 'create', note: 'learned' },
    now,
  );
  await skills.markUsed(alice, 'deploy', now + 1);
  const second = { ...first, 'scripts/部署.sh': '#!/bin/sh\necho "上线"\n' };
  const skill = await skills.save(
    alice,
    { ...base, files: second, expectedVersion: 1, action: 'patch', note: 'added the script' },
    now + 2,
  );
  await skills.save(
    alice,
    { ...base, name: 'scratch', files: first, expectedVersion: null, action: 'create', note: '' },
    now,
  );
  await skills.delete(alice, 'scratch', { expectedVersion: 1, actor: 'user', note: 'gone' }, now);
  await skills.save(
    bob,
    { ...base, files: { 'SKILL.md': 'bob' }, expectedVersion: null, action: 'create', note: '' },
    now,
  );
  return skill;
}

/** Checks through the public API that a copy behaves like its source did. */
export async function expectSameBehaviour(copy: Mnemos, filled: Filled): Promise<void> {
  const tea = await copy.memories.search({ scope: alice, query: '绿茶' });
  expect(tea.results[0]?.memory.id).toBe(filled.ids.get('我喜欢喝绿茶，不喜欢咖啡'));
  expect(tea.results[0]?.memory.sources.map((source) => source.runId)).toEqual([
    'default',
    'second-session',
  ]);
  expect(tea.results[0]?.memory.sources[1]?.metadata).toEqual({ topic: 'again' });
  const bobs = await copy.memories.search({ scope: bob, query: 'green tea' });
  expect(bobs.results.map((result) => result.memory.scope.tenantId)).toEqual(['bob']);
  const planner = await copy.memories.list({ scope: { ...alice, agentId: 'planner' } });
  expect(planner.total).toBe(3);
  const notes = await copy.memories.search({ store: 'notes', scope: alice, query: '小说' });
  expect(notes.results).toHaveLength(1);
  const monday = filled.ids.get('The quarterly report is due on Monday')!;
  expect((await copy.memories.history({ scope: alice, id: monday })).map((h) => h.event)).toEqual([
    'ADD',
    'UPDATE',
  ]);
  expect((await copy.memories.get({ scope: alice, id: filled.deleted })).deletedAt).not.toBeNull();
  const temporary = await copy.memories.search({ scope: alice, query: 'temporary note' });
  expect(temporary.results.map((result) => result.memory.id)).not.toContain(filled.deleted);
  const initech = await copy.memories.search({ scope: alice, query: 'Initech' });
  expect(initech.results.map((result) => result.memory.id)).not.toContain(filled.invalidated);
  const withOld = await copy.memories.search({
    scope: alice,
    query: 'Initech',
    includeInvalidated: true,
  });
  expect(withOld.results[0]?.memory.id).toBe(filled.invalidated);
  const found = await copy.sessions.search(alice, '京都');
  expect(found.map((hit) => hit.sessionId)).toContain(filled.sessionId);
  const messages = await copy.sessions.messages(alice, filled.sessionId);
  expect(messages).toHaveLength(2);
  expect(messages[1]?.parts).toEqual([
    { type: 'tool-call', toolCallId: 'c1', toolName: 'web_fetch', input: toolInput },
  ]);
  expect((await copy.profile.get(alice)).map((entry) => entry.value)).toEqual(['Hangzhou']);
  expect(await copy.profile.history(alice, { key: 'city' })).toHaveLength(2);
  expect((await copy.keys.authenticate(filled.key))?.tenantId).toBe('alice');
  expect(await copy.keys.requests(alice)).toHaveLength(1);
  const skills = copy.storage.skills;
  expect(await skills.get(alice, 'deploy')).toEqual(filled.skill);
  expect((await skills.list(alice)).map((skill) => [skill.name, skill.version])).toEqual([
    ['deploy', 2],
  ]);
  const page = { limit: 10, offset: 0 };
  const versions = await skills.history(alice, 'deploy', page);
  expect(versions.map((entry) => [entry.version, entry.action])).toEqual([
    [2, 'patch'],
    [1, 'create'],
  ]);
  expect(versions[0]?.files).toEqual(filled.skill.files);
  expect((await skills.history(alice, 'scratch', page)).map((entry) => entry.files)).toEqual([
    null,
    { 'SKILL.md': '---\nname: deploy\n---\n1. build\n' },
  ]);
  expect((await skills.get(bob, 'deploy'))?.files).toEqual({ 'SKILL.md': 'bob' });
  const usage = copy.storage.usage;
  expect(await usage.totals(alice, { sessionId: filled.sessionId })).toEqual({
    input: 125,
    output: 31,
  });
  expect(await usage.totals(alice, { day: '2026-01-02' })).toEqual({ input: 5, output: 1 });
  expect(await usage.totals(bob)).toEqual({ input: 9, output: 9 });
  expect(await copy.storage.teamRuns.get(alice, 'run-1')).toEqual(filled.teamRun);
  const agents = copy.storage.agents;
  expect(await agents.get(alice, 'support')).toEqual(filled.agent);
  expect((await agents.list(alice)).map((record) => record.definition.name)).toEqual([
    'support',
    'writer',
  ]);
  expect((await agents.get(bob, 'support'))?.definition.description).toBe('bob');
  expect(await copy.storage.cron.get(alice, 'digest')).toEqual(filled.cron.job);
  expect(await copy.storage.cron.run(alice, 'cron-run-1')).toEqual(filled.cron.run);
  expect(await copy.storage.gateway.accounts()).toEqual([gatewayAccount]);
  expect(await copy.storage.gateway.binding(alice, gatewayBinding.chatKey)).toEqual(gatewayBinding);
  expect(await copy.storage.gateway.binding(bob, gatewayBinding.chatKey)).toBeNull();
}

/** Alice's Telegram account and the chat bound to her session. */
const gatewayAccount: GatewayAccount = {
  platform: 'telegram',
  userId: '12345',
  userName: '花子',
  appId: alice.appId,
  tenantId: alice.tenantId,
  approvedBy: 'pairing',
  status: 'approved',
  updatedAt: Date.parse('2026-01-02T03:04:05.006Z'),
};
const gatewayBinding = {
  chatKey: 'telegram:dm:12345',
  platform: 'telegram',
  sessionId: 'sess-1',
  updatedAt: Date.parse('2026-01-02T03:04:05.006Z'),
};
