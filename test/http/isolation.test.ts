import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { type Answer, type Body, call, prng, startTestServer, type TestServer } from './helpers.js';

/**
 * Randomized tenant isolation over real HTTP: four API keys (three tenants of one app, and a tenant
 * of another app with the same tenant id as the first) run seeded random sequences of every tenant
 * route concurrently, including ids of other tenants' memories, sessions and jobs, and bodies that
 * name another tenant. Every answer is checked against the requester's ground truth, and at the end
 * the stored data of each tenant is compared with it through the API and through the library.
 */

const seed = Number(process.env.MNEMOS_HTTP_SEED ?? 20_261_121);
const requestsPerTenant = 750;

interface TenantDef {
  label: string;
  appId: string;
  tenantId: string;
  /** A token only this tenant's texts contain. */
  marker: string;
}

const tenantDefs: TenantDef[] = [
  { label: 'appA/a', appId: 'appA', tenantId: 'a', marker: 'zqalphamark' },
  { label: 'appA/b', appId: 'appA', tenantId: 'b', marker: 'zqbravomark' },
  { label: 'appA/c', appId: 'appA', tenantId: 'c', marker: 'zqcharliemark' },
  { label: 'appB/a', appId: 'appB', tenantId: 'a', marker: 'zqdeltamark' },
];

/** Words every tenant uses, so searches could match other tenants' texts if scoping failed. */
const vocabulary = [
  'apple',
  'river',
  'mountain',
  'coffee',
  'typescript',
  'garden',
  'violin',
  'harbor',
  'lantern',
  'meadow',
  '龙井茶',
  '上海',
  '周末',
  '会议',
  'budget',
  'invoice',
];
const syncAgents = ['alpha', 'beta'] as const;
const runs = ['r1', 'r2'] as const;
const sessionPool = ['s-0', 's-1', 's-2', 's-3', 's-4', 's-5'];
const profileKeys = ['name', 'language', 'city', 'search', 'tech_stack'];

interface MemoryTruth {
  text: string;
  agentId: string;
  runId: string;
  deleted: boolean;
}

interface Tenant extends TenantDef {
  index: number;
  key: string;
  keyId: string;
  memories: Map<string, MemoryTruth>;
  /** Async jobs not yet seen finished, with the text they carry. */
  pendingJobs: Map<string, string>;
  jobs: Set<string>;
  sessions: Map<string, string[]>;
  profile: Map<string, string>;
  /** Mutating requests sent with this key (each must leave one audit row). */
  mutating: number;
}

type Owner = number;

/** Who owns each id and text ever written. */
const owners = {
  memories: new Map<string, Owner>(),
  jobs: new Map<string, Owner>(),
  messages: new Map<string, Owner>(),
  /** Session ids per tenant (the same id may exist in several tenants). */
  sessions: new Map<string, Set<Owner>>(),
};

const violations: string[] = [];
const outcomes = new Map<string, Map<number, number>>();
let requestCount = 0;
let serial = 0;

let app: TestServer;
const tenants: Tenant[] = [];

function note(kind: string, status: number): void {
  const byStatus = outcomes.get(kind) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  outcomes.set(kind, byStatus);
}

function violation(tenant: Tenant, kind: string, message: string): void {
  if (violations.length < 50) violations.push(`[${tenant.label}] ${kind}: ${message}`);
  else if (violations.length === 50) violations.push('… more violations not shown');
}

/** Every memory, message or row a tenant reads must be its own. */
function checkOwnMemory(
  tenant: Tenant,
  kind: string,
  memory: { id: string; text: string; scope: { appId: string; tenantId: string } },
): void {
  if (memory.scope.appId !== tenant.appId || memory.scope.tenantId !== tenant.tenantId)
    violation(
      tenant,
      kind,
      `memory ${memory.id} of ${memory.scope.appId}/${memory.scope.tenantId}`,
    );
  const owner = owners.memories.get(memory.id);
  if (owner !== undefined && owner !== tenant.index)
    violation(tenant, kind, `memory ${memory.id} belongs to ${tenantDefs[owner]!.label}`);
  checkText(tenant, kind, memory.text);
}

function checkText(tenant: Tenant, kind: string, text: string): void {
  for (const other of tenantDefs) {
    if (other.marker !== tenant.marker && text.includes(other.marker))
      violation(tenant, kind, `text of ${other.label}: ${text.slice(0, 80)}`);
  }
  if (!text.includes(tenant.marker)) violation(tenant, kind, `foreign text: ${text.slice(0, 80)}`);
}

function uniqueText(tenant: Tenant, random: ReturnType<typeof prng>): string {
  serial += 1;
  const words = [random.pick(vocabulary), random.pick(vocabulary), random.pick(vocabulary)];
  return `${tenant.marker} ${words.join(' ')} item${serial}`;
}

function others(tenant: Tenant): Tenant[] {
  return tenants.filter((other) => other !== tenant);
}

function liveIds(tenant: Tenant, filter: (memory: MemoryTruth) => boolean = () => true): string[] {
  return [...tenant.memories]
    .filter(([, memory]) => !memory.deleted && filter(memory))
    .map(([id]) => id);
}

/** Ids of other tenants' memories (live or deleted). */
function foreignMemoryIds(tenant: Tenant): string[] {
  return others(tenant).flatMap((other) => [...other.memories.keys()]);
}

/** A session id another tenant has and this one does not, if any. */
function foreignSessionId(tenant: Tenant, random: ReturnType<typeof prng>): string | null {
  const candidates = others(tenant)
    .flatMap((other) => [...other.sessions.keys()])
    .filter((id) => !tenant.sessions.has(id));
  return candidates.length > 0 ? random.pick(candidates) : null;
}

function isMutating(method: string, path: string): boolean {
  if (method === 'GET') return false;
  return !(method === 'POST' && path === '/v1/memories/search');
}

describe('tenant isolation over HTTP (randomized)', () => {
  beforeAll(async () => {
    app = await startTestServer();
    for (const [index, def] of tenantDefs.entries()) {
      const { key, record } = await app.mnemos.keys.create({
        appId: def.appId,
        tenantId: def.tenantId,
        name: def.label,
      });
      tenants.push({
        ...def,
        index,
        key,
        keyId: record.id,
        memories: new Map(),
        pendingJobs: new Map(),
        jobs: new Set(),
        sessions: new Map(),
        profile: new Map(),
        mutating: 0,
      });
    }
  });

  afterAll(async () => {
    await app?.remove();
  });

  it(`keeps ${tenantDefs.length} tenants apart over ${requestsPerTenant * tenantDefs.length}+ random requests (seed ${seed})`, async () => {
    const started = Date.now();
    await Promise.all(tenants.map((tenant) => runTenant(tenant)));
    const randomPhaseMs = Date.now() - started;

    // Settle every asynchronous add through the API, then compare each tenant with its truth.
    for (const tenant of tenants) await settleJobs(tenant);
    for (const tenant of tenants) await compareThroughApi(tenant);

    printSummary(randomPhaseMs);
    expect(violations, violations.join('\n')).toEqual([]);
    expect(requestCount).toBeGreaterThanOrEqual(2_000);

    // After the server stops, the library on the same home must see exactly the ground truth.
    await app.stop();
    const mnemos = await Mnemos.open({ home: app.home, processJobs: false });
    try {
      await compareThroughLibrary(mnemos);
    } finally {
      await mnemos.close();
    }
    expect(violations, violations.join('\n')).toEqual([]);
  }, 180_000);
});

/** Sends one request as a tenant, counting it by kind and outcome. */
async function send(
  tenant: Tenant,
  kind: string,
  method: string,
  path: string,
  body?: Body,
  random?: ReturnType<typeof prng>,
): Promise<Answer> {
  // Now and then a tenant key names another tenant in the admin headers; it must be ignored.
  const headers: Record<string, string> = {};
  if (random?.chance(0.15)) {
    const other = random.pick(others(tenant));
    headers['x-mnemos-app'] = other.appId;
    headers['x-mnemos-tenant'] = other.tenantId;
  }
  const answer = await call(app.url, tenant.key, method, path, body, headers);
  requestCount += 1;
  if (isMutating(method, path.split('?')[0]!)) tenant.mutating += 1;
  note(kind, answer.status);
  return answer;
}

function expectStatus(tenant: Tenant, kind: string, answer: Answer, ...wanted: number[]): boolean {
  if (wanted.includes(answer.status)) return true;
  violation(tenant, kind, `status ${answer.status}, wanted ${wanted.join('/')}: ${answer.text}`);
  return false;
}

type Operation = (tenant: Tenant, random: ReturnType<typeof prng>) => Promise<void>;

const operations: Array<[string, number, Operation]> = [
  ['add sync text', 12, addSyncText],
  ['add sync messages', 5, addSyncMessages],
  ['add async', 5, addAsync],
  ['search', 12, search],
  ['list', 7, list],
  ['get own', 5, getOwn],
  ['get foreign', 7, getForeign],
  ['update own', 4, updateOwn],
  ['update foreign', 5, updateForeign],
  ['delete own', 3, deleteOwn],
  ['delete foreign', 5, deleteForeign],
  ['delete by scope', 2, deleteByScope],
  ['history own', 3, historyOwn],
  ['history foreign', 3, historyForeign],
  ['job own', 3, jobOwn],
  ['job foreign', 3, jobForeign],
  ['memory messages', 2, memoryMessages],
  ['session create', 4, sessionCreate],
  ['session list', 3, sessionList],
  ['session get', 3, sessionGet],
  ['session get foreign', 3, sessionGetForeign],
  ['session messages', 3, sessionMessages],
  ['session messages foreign', 2, sessionMessagesForeign],
  ['session append', 4, sessionAppend],
  ['session append foreign', 3, sessionAppendForeign],
  ['session search', 3, sessionSearch],
  ['session delete', 1, sessionDelete],
  ['profile set', 3, profileSet],
  ['profile get', 3, profileGet],
  ['profile unset', 1, profileUnset],
  ['requests (audit)', 3, auditRows],
  ['widen scope', 8, widenScope],
];
const totalWeight = operations.reduce((sum, [, weight]) => sum + weight, 0);

async function runTenant(tenant: Tenant): Promise<void> {
  const random = prng(seed + tenant.index * 7_919);
  while (countOf(tenant) < requestsPerTenant) {
    let roll = random.next() * totalWeight;
    let operation = operations[0]![2];
    for (const [, weight, candidate] of operations) {
      operation = candidate;
      roll -= weight;
      if (roll < 0) break;
    }
    await operation(tenant, random);
  }
}

const sentByTenant = new Map<Tenant, number>();
function countOf(tenant: Tenant): number {
  return sentByTenant.get(tenant) ?? 0;
}
function count(tenant: Tenant, requests = 1): void {
  sentByTenant.set(tenant, countOf(tenant) + requests);
}

async function addSyncText(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const text = uniqueText(tenant, random);
  const agentId = random.pick(syncAgents);
  const runId = random.pick(runs);
  const body: Record<string, unknown> = { text, sync: true, scope: { agentId, runId } };
  // Repeating the key's own app and tenant is allowed.
  if (random.chance(0.2))
    body.scope = { appId: tenant.appId, tenantId: tenant.tenantId, agentId, runId };
  const answer = await send(tenant, 'add sync text', 'POST', '/v1/memories', body, random);
  count(tenant);
  if (!expectStatus(tenant, 'add sync text', answer, 200)) return;
  const job = answer.json<{ id: string; status: string; memoryIds: string[] }>();
  recordJob(tenant, 'add sync text', job, [text], agentId, runId);
}

async function addSyncMessages(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const contents = [uniqueText(tenant, random), uniqueText(tenant, random)];
  const agentId = random.pick(syncAgents);
  const runId = random.pick(runs);
  const answer = await send(
    tenant,
    'add sync messages',
    'POST',
    '/v1/memories',
    {
      sync: true,
      scope: { agentId, runId },
      messages: [
        { role: 'user', content: contents[0] },
        { role: 'assistant', content: contents[1] },
      ],
    },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'add sync messages', answer, 200)) return;
  const job = answer.json<{ id: string; status: string; memoryIds: string[] }>();
  recordJob(tenant, 'add sync messages', job, contents, agentId, runId);
}

function recordJob(
  tenant: Tenant,
  kind: string,
  job: { id: string; status: string; memoryIds: string[] },
  texts: string[],
  agentId: string,
  runId: string,
): void {
  tenant.jobs.add(job.id);
  owners.jobs.set(job.id, tenant.index);
  if (job.status !== 'succeeded' || job.memoryIds.length !== texts.length) {
    violation(tenant, kind, `job ${job.id} ${job.status} with ${job.memoryIds.length} memories`);
    return;
  }
  job.memoryIds.forEach((id, at) => {
    if (owners.memories.has(id)) violation(tenant, kind, `job reused memory ${id}`);
    owners.memories.set(id, tenant.index);
    tenant.memories.set(id, { text: texts[at]!, agentId, runId, deleted: false });
  });
}

async function addAsync(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const text = uniqueText(tenant, random);
  const answer = await send(
    tenant,
    'add async',
    'POST',
    '/v1/memories',
    { text, scope: { agentId: 'async', runId: 'r1' } },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'add async', answer, 202)) return;
  const job = answer.json<{ id: string }>();
  tenant.jobs.add(job.id);
  owners.jobs.set(job.id, tenant.index);
  tenant.pendingJobs.set(job.id, text);
}

async function search(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const roll = random.int(3);
  const query =
    roll === 0
      ? `${random.pick(vocabulary)} ${random.pick(vocabulary)}`
      : roll === 1
        ? random.pick(others(tenant)).marker
        : `${tenant.marker} ${random.pick(vocabulary)}`;
  const scope = random.chance(0.3) ? { agentId: random.pick(syncAgents) } : undefined;
  const answer = await send(
    tenant,
    'search',
    'POST',
    '/v1/memories/search',
    { query, topK: 1 + random.int(50), ...(scope ? { scope } : {}) },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'search', answer, 200)) return;
  const { results } = answer.json<{
    results: Array<{ memory: { id: string; text: string; scope: Scope } }>;
  }>();
  for (const { memory } of results) {
    checkOwnMemory(tenant, 'search', memory);
    if (scope && memory.scope.agentId !== scope.agentId)
      violation(tenant, 'search', `agent ${memory.scope.agentId} outside ${scope.agentId}`);
  }
}

interface Scope {
  appId: string;
  tenantId: string;
  agentId: string;
  runId: string;
}

interface MemoryJson {
  id: string;
  text: string;
  scope: Scope;
  deletedAt: string | null;
}

async function list(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const agentId = random.pick(['alpha', 'beta', '*', 'async'] as const);
  const includeDeleted = random.chance(0.3);
  const answer = await send(
    tenant,
    'list',
    'GET',
    `/v1/memories?agentId=${encodeURIComponent(agentId)}&limit=1000${includeDeleted ? '&includeDeleted=true' : ''}`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'list', answer, 200)) return;
  const listed = answer.json<{ memories: MemoryJson[]; total: number }>();
  for (const memory of listed.memories) checkOwnMemory(tenant, 'list', memory);
  if (agentId === 'alpha' || agentId === 'beta') {
    // Synchronous writes only: the list must be exactly the ground truth.
    const expected = [...tenant.memories]
      .filter(([, memory]) => memory.agentId === agentId && (includeDeleted || !memory.deleted))
      .map(([id]) => id)
      .sort();
    const got = listed.memories.map((memory) => memory.id).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected) || listed.total !== expected.length)
      violation(tenant, 'list', `agent ${agentId}: ${got.length} listed, ${expected.length} known`);
  }
}

async function getOwn(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.memories.keys()];
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(tenant, 'get own', 'GET', `/v1/memories/${id}`, undefined, random);
  count(tenant);
  if (!expectStatus(tenant, 'get own', answer, 200)) return;
  const memory = answer.json<MemoryJson>();
  checkOwnMemory(tenant, 'get own', memory);
  const truth = tenant.memories.get(id)!;
  if (memory.text !== truth.text || (memory.deletedAt !== null) !== truth.deleted)
    violation(tenant, 'get own', `memory ${id} differs from the truth`);
}

async function getForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = foreignMemoryIds(tenant);
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(tenant, 'get foreign', 'GET', `/v1/memories/${id}`, undefined, random);
  count(tenant);
  expectStatus(tenant, 'get foreign', answer, 404);
  if (answer.text.includes('zq') && answer.text.includes('mark'))
    violation(tenant, 'get foreign', `answer carries text: ${answer.text}`);
}

async function updateOwn(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = liveIds(tenant, (memory) => memory.agentId !== 'async');
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const text = uniqueText(tenant, random);
  const answer = await send(
    tenant,
    'update own',
    'PATCH',
    `/v1/memories/${id}`,
    { text, metadata: { edited: 'yes' } },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'update own', answer, 200)) return;
  checkOwnMemory(tenant, 'update own', answer.json<MemoryJson>());
  tenant.memories.get(id)!.text = text;
}

async function updateForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = foreignMemoryIds(tenant);
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'update foreign',
    'PATCH',
    `/v1/memories/${id}`,
    { text: `${tenant.marker} overwritten by a stranger`, salience: 0.1 },
    random,
  );
  count(tenant);
  expectStatus(tenant, 'update foreign', answer, 404);
}

async function deleteOwn(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = liveIds(tenant, (memory) => memory.agentId !== 'async');
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'delete own',
    'DELETE',
    `/v1/memories/${id}`,
    undefined,
    random,
  );
  count(tenant);
  if (expectStatus(tenant, 'delete own', answer, 204)) tenant.memories.get(id)!.deleted = true;
}

async function deleteForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = foreignMemoryIds(tenant);
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const purge = random.chance(0.3);
  const answer = await send(
    tenant,
    'delete foreign',
    'DELETE',
    `/v1/memories/${id}${purge ? '?purge=true' : ''}`,
    undefined,
    random,
  );
  count(tenant);
  expectStatus(tenant, 'delete foreign', answer, 404);
}

async function deleteByScope(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const agentId = random.pick(syncAgents);
  const runId = random.chance(0.5) ? random.pick(runs) : undefined;
  const answer = await send(
    tenant,
    'delete by scope',
    'POST',
    '/v1/memories/delete-by-scope',
    { scope: { agentId, ...(runId ? { runId } : {}) } },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'delete by scope', answer, 200)) return;
  const matching = [...tenant.memories.values()].filter(
    (memory) =>
      !memory.deleted &&
      memory.agentId === agentId &&
      (runId === undefined || memory.runId === runId),
  );
  const { deleted } = answer.json<{ deleted: number }>();
  if (deleted !== matching.length)
    violation(tenant, 'delete by scope', `deleted ${deleted}, expected ${matching.length}`);
  for (const memory of matching) memory.deleted = true;
}

async function historyOwn(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.memories.keys()];
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'history own',
    'GET',
    `/v1/memories/${id}/history`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'history own', answer, 200)) return;
  const { history } = answer.json<{
    history: Array<{
      memoryId: string;
      event: string;
      oldText: string | null;
      newText: string | null;
    }>;
  }>();
  if (history[0]?.event !== 'ADD')
    violation(tenant, 'history own', `first event ${history[0]?.event}`);
  for (const entry of history) {
    if (entry.memoryId !== id) violation(tenant, 'history own', `entry of ${entry.memoryId}`);
    for (const text of [entry.oldText, entry.newText]) if (text) checkText(tenant, 'history', text);
  }
}

async function historyForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = foreignMemoryIds(tenant);
  if (ids.length === 0) return addSyncText(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'history foreign',
    'GET',
    `/v1/memories/${id}/history`,
    undefined,
    random,
  );
  count(tenant);
  // Another tenant's memory is not found, the same as for `get`.
  expectStatus(tenant, 'history foreign', answer, 404);
}

async function jobOwn(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const pending = [...tenant.pendingJobs.keys()];
  const id = pending.length > 0 ? random.pick(pending) : [...tenant.jobs][0];
  if (id === undefined) return addAsync(tenant, random);
  const answer = await send(tenant, 'job own', 'GET', `/v1/jobs/${id}`, undefined, random);
  count(tenant);
  if (!expectStatus(tenant, 'job own', answer, 200)) return;
  settleJob(tenant, answer.json());
}

/** Records the memories of a finished asynchronous job. */
function settleJob(
  tenant: Tenant,
  job: { id: string; status: string; memoryIds: string[]; error: string | null },
): void {
  const text = tenant.pendingJobs.get(job.id);
  if (text === undefined || job.status === 'running') return;
  tenant.pendingJobs.delete(job.id);
  if (job.status !== 'succeeded' || job.memoryIds.length !== 1) {
    violation(tenant, 'job', `async job ${job.id} ${job.status}: ${job.error}`);
    return;
  }
  const id = job.memoryIds[0]!;
  if (owners.memories.has(id)) violation(tenant, 'job', `job reused memory ${id}`);
  owners.memories.set(id, tenant.index);
  tenant.memories.set(id, { text, agentId: 'async', runId: 'r1', deleted: false });
}

async function jobForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = others(tenant).flatMap((other) => [...other.jobs]);
  if (ids.length === 0) return addAsync(tenant, random);
  const answer = await send(
    tenant,
    'job foreign',
    'GET',
    `/v1/jobs/${random.pick(ids)}`,
    undefined,
    random,
  );
  count(tenant);
  expectStatus(tenant, 'job foreign', answer, 404);
}

async function memoryMessages(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const answer = await send(
    tenant,
    'memory messages',
    'GET',
    '/v1/memory-messages?limit=1000',
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'memory messages', answer, 200)) return;
  const { messages } = answer.json<{
    messages: Array<{ jobId: string; content: string; scope: Scope }>;
  }>();
  for (const message of messages) {
    checkText(tenant, 'memory messages', message.content);
    if (message.scope.appId !== tenant.appId || message.scope.tenantId !== tenant.tenantId)
      violation(
        tenant,
        'memory messages',
        `row of ${message.scope.appId}/${message.scope.tenantId}`,
      );
    const owner = owners.jobs.get(message.jobId);
    if (owner !== undefined && owner !== tenant.index)
      violation(tenant, 'memory messages', `job ${message.jobId} of another tenant`);
  }
}

interface SessionJson {
  id: string;
  appId: string;
  tenantId: string;
  messageCount: number;
}

function checkOwnSession(tenant: Tenant, kind: string, session: SessionJson): void {
  if (session.appId !== tenant.appId || session.tenantId !== tenant.tenantId)
    violation(tenant, kind, `session ${session.id} of ${session.appId}/${session.tenantId}`);
  const truth = tenant.sessions.get(session.id);
  if (!truth) violation(tenant, kind, `unknown session ${session.id}`);
  else if (truth.length !== session.messageCount)
    violation(
      tenant,
      kind,
      `session ${session.id}: ${session.messageCount} messages, ${truth.length} known`,
    );
}

async function sessionCreate(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const id = random.chance(0.8) ? random.pick(sessionPool) : undefined;
  const answer = await send(
    tenant,
    'session create',
    'POST',
    '/v1/sessions',
    { ...(id ? { id } : {}), title: `${tenant.marker} chat`, metadata: { origin: 'test' } },
    random,
  );
  count(tenant);
  // Whether an id is taken depends on this tenant only, never on other tenants' sessions.
  if (id && tenant.sessions.has(id)) {
    expectStatus(tenant, 'session create', answer, 409);
    return;
  }
  if (!expectStatus(tenant, 'session create', answer, 201)) return;
  const session = answer.json<SessionJson>();
  tenant.sessions.set(session.id, []);
  const holders = owners.sessions.get(session.id) ?? new Set<Owner>();
  holders.add(tenant.index);
  owners.sessions.set(session.id, holders);
  checkOwnSession(tenant, 'session create', session);
}

async function sessionList(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const answer = await send(
    tenant,
    'session list',
    'GET',
    '/v1/sessions?limit=1000',
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'session list', answer, 200)) return;
  const { sessions } = answer.json<{ sessions: SessionJson[] }>();
  for (const session of sessions) checkOwnSession(tenant, 'session list', session);
  if (sessions.length !== tenant.sessions.size)
    violation(tenant, 'session list', `${sessions.length} listed, ${tenant.sessions.size} known`);
}

async function sessionGet(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.sessions.keys()];
  if (ids.length === 0) return sessionCreate(tenant, random);
  const id = random.pick(ids);
  const answer = await send(tenant, 'session get', 'GET', `/v1/sessions/${id}`, undefined, random);
  count(tenant);
  if (expectStatus(tenant, 'session get', answer, 200))
    checkOwnSession(tenant, 'session get', answer.json());
}

async function sessionGetForeign(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const id = foreignSessionId(tenant, random);
  if (id === null) return sessionCreate(tenant, random);
  const answer = await send(
    tenant,
    'session get foreign',
    'GET',
    `/v1/sessions/${id}`,
    undefined,
    random,
  );
  count(tenant);
  expectStatus(tenant, 'session get foreign', answer, 404);
}

interface MessageJson {
  id: string;
  sessionId: string;
  content: string;
}

async function sessionMessages(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.sessions.keys()];
  if (ids.length === 0) return sessionCreate(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'session messages',
    'GET',
    `/v1/sessions/${id}/messages?limit=1000`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'session messages', answer, 200)) return;
  const { messages } = answer.json<{ messages: MessageJson[] }>();
  for (const message of messages) checkText(tenant, 'session messages', message.content);
  const got = messages.map((message) => message.content);
  if (JSON.stringify(got) !== JSON.stringify(tenant.sessions.get(id)))
    violation(tenant, 'session messages', `session ${id} differs from the truth`);
}

async function sessionMessagesForeign(
  tenant: Tenant,
  random: ReturnType<typeof prng>,
): Promise<void> {
  const id = foreignSessionId(tenant, random);
  if (id === null) return sessionCreate(tenant, random);
  const answer = await send(
    tenant,
    'session messages foreign',
    'GET',
    `/v1/sessions/${id}/messages`,
    undefined,
    random,
  );
  count(tenant);
  expectStatus(tenant, 'session messages foreign', answer, 404);
}

async function sessionAppend(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.sessions.keys()];
  if (ids.length === 0) return sessionCreate(tenant, random);
  const id = random.pick(ids);
  const contents = Array.from({ length: 1 + random.int(3) }, () => uniqueText(tenant, random));
  const answer = await send(
    tenant,
    'session append',
    'POST',
    `/v1/sessions/${id}/history`,
    {
      messages: contents.map((content, at) => ({
        role: at % 2 === 0 ? 'user' : 'assistant',
        content,
      })),
    },
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'session append', answer, 200)) return;
  const { messages } = answer.json<{ messages: MessageJson[] }>();
  for (const message of messages) owners.messages.set(message.id, tenant.index);
  tenant.sessions.get(id)!.push(...contents);
}

async function sessionAppendForeign(
  tenant: Tenant,
  random: ReturnType<typeof prng>,
): Promise<void> {
  const id = foreignSessionId(tenant, random);
  if (id === null) return sessionCreate(tenant, random);
  const answer = await send(
    tenant,
    'session append foreign',
    'POST',
    `/v1/sessions/${id}/history`,
    { messages: [{ role: 'user', content: `${tenant.marker} written into a stranger's session` }] },
    random,
  );
  count(tenant);
  expectStatus(tenant, 'session append foreign', answer, 404);
}

async function sessionSearch(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const query = random.chance(0.3) ? random.pick(others(tenant)).marker : random.pick(vocabulary);
  const answer = await send(
    tenant,
    'session search',
    'GET',
    `/v1/sessions/search?query=${encodeURIComponent(query)}&limit=100`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'session search', answer, 200)) return;
  const { messages } = answer.json<{ messages: MessageJson[] }>();
  for (const message of messages) {
    checkText(tenant, 'session search', message.content);
    const owner = owners.messages.get(message.id);
    if (owner !== undefined && owner !== tenant.index)
      violation(tenant, 'session search', `message ${message.id} of another tenant`);
    if (!tenant.sessions.has(message.sessionId))
      violation(tenant, 'session search', `message of unknown session ${message.sessionId}`);
  }
}

async function sessionDelete(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const ids = [...tenant.sessions.keys()];
  if (ids.length === 0) return sessionCreate(tenant, random);
  const id = random.pick(ids);
  const answer = await send(
    tenant,
    'session delete',
    'DELETE',
    `/v1/sessions/${id}`,
    undefined,
    random,
  );
  count(tenant);
  if (expectStatus(tenant, 'session delete', answer, 204)) tenant.sessions.delete(id);
}

async function profileSet(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const key = random.pick(profileKeys);
  const value = uniqueText(tenant, random);
  const answer = await send(tenant, 'profile set', 'PUT', `/v1/profile/${key}`, { value }, random);
  count(tenant);
  if (expectStatus(tenant, 'profile set', answer, 200)) tenant.profile.set(key, value);
}

async function profileGet(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const answer = await send(tenant, 'profile get', 'GET', '/v1/profile', undefined, random);
  count(tenant);
  if (!expectStatus(tenant, 'profile get', answer, 200)) return;
  const { profile } = answer.json<{ profile: Array<{ key: string; value: string }> }>();
  for (const entry of profile) checkText(tenant, 'profile get', entry.value);
  const got = Object.fromEntries(profile.map((entry) => [entry.key, entry.value]));
  if (JSON.stringify(sorted(got)) !== JSON.stringify(sorted(Object.fromEntries(tenant.profile))))
    violation(tenant, 'profile get', `profile differs: ${JSON.stringify(got)}`);
}

function sorted(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

async function profileUnset(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const key = random.pick(profileKeys);
  const answer = await send(
    tenant,
    'profile unset',
    'DELETE',
    `/v1/profile/${key}`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'profile unset', answer, 200)) return;
  const { removed } = answer.json<{ removed: boolean }>();
  if (removed !== tenant.profile.has(key))
    violation(tenant, 'profile unset', `removed ${removed}, was set ${tenant.profile.has(key)}`);
  tenant.profile.delete(key);
}

interface AuditJson {
  appId: string;
  tenantId: string;
  keyId: string;
  method: string;
  path: string;
}

async function auditRows(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const answer = await send(
    tenant,
    'requests (audit)',
    'GET',
    `/v1/requests?limit=${1 + random.int(200)}`,
    undefined,
    random,
  );
  count(tenant);
  if (!expectStatus(tenant, 'requests (audit)', answer, 200)) return;
  for (const row of answer.json<{ requests: AuditJson[] }>().requests) checkAuditRow(tenant, row);
}

function checkAuditRow(tenant: Tenant, row: AuditJson): void {
  if (row.appId !== tenant.appId || row.tenantId !== tenant.tenantId || row.keyId !== tenant.keyId)
    violation(tenant, 'audit', `row of ${row.appId}/${row.tenantId} key ${row.keyId}`);
  if (!isMutating(row.method, row.path))
    violation(tenant, 'audit', `non-mutating ${row.method} ${row.path} recorded`);
}

/** Bodies naming another app or tenant: refused with 403, nothing written or deleted. */
async function widenScope(tenant: Tenant, random: ReturnType<typeof prng>): Promise<void> {
  const other = random.pick(others(tenant));
  // Same tenant id in another app, or another tenant of this app, or both differ.
  const foreign =
    other.appId !== tenant.appId && other.tenantId === tenant.tenantId
      ? { appId: other.appId }
      : random.chance(0.5)
        ? { tenantId: other.tenantId }
        : { appId: other.appId, tenantId: other.tenantId };
  const scope = { ...foreign, agentId: random.pick(syncAgents) };
  const variant = random.int(5);
  let answer: Answer;
  if (variant === 0 || variant === 1) {
    answer = await send(
      tenant,
      'widen scope',
      'POST',
      '/v1/memories',
      {
        text: `${tenant.marker} smuggled into ${other.label}`,
        scope,
        ...(variant === 0 ? { sync: true } : {}),
      },
      random,
    );
  } else if (variant === 2) {
    answer = await send(
      tenant,
      'widen scope',
      'POST',
      '/v1/memories/search',
      { query: random.pick(vocabulary), scope },
      random,
    );
  } else if (variant === 3) {
    answer = await send(
      tenant,
      'widen scope',
      'POST',
      '/v1/memories/delete-by-scope',
      { scope },
      random,
    );
  } else {
    // Lists take app and tenant from the key only; naming them in the query is refused.
    answer = await send(
      tenant,
      'widen scope',
      'GET',
      `/v1/memories?tenantId=${other.tenantId}&appId=${other.appId}`,
      undefined,
      random,
    );
    count(tenant);
    expectStatus(tenant, 'widen scope', answer, 400);
    return;
  }
  count(tenant);
  expectStatus(tenant, 'widen scope', answer, 403);
}

/** Polls every pending asynchronous job of a tenant until it finished. */
async function settleJobs(tenant: Tenant): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (tenant.pendingJobs.size > 0) {
    for (const id of [...tenant.pendingJobs.keys()]) {
      const answer = await send(tenant, 'job own', 'GET', `/v1/jobs/${id}`);
      if (expectStatus(tenant, 'job own', answer, 200)) settleJob(tenant, answer.json());
      else tenant.pendingJobs.delete(id);
    }
    if (tenant.pendingJobs.size > 0) {
      if (Date.now() > deadline) {
        violation(tenant, 'job', `${tenant.pendingJobs.size} jobs never finished`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The tenant's data as the API shows it equals its ground truth. */
async function compareThroughApi(tenant: Tenant): Promise<void> {
  const listed = (
    await send(tenant, 'final list', 'GET', '/v1/memories?limit=1000&includeDeleted=true')
  ).json<{ memories: MemoryJson[] }>().memories;
  for (const memory of listed) checkOwnMemory(tenant, 'final list', memory);
  compareMemories(
    tenant,
    'final list',
    listed.map((memory) => ({
      id: memory.id,
      text: memory.text,
      agentId: memory.scope.agentId,
      runId: memory.scope.runId,
      deleted: memory.deletedAt !== null,
    })),
  );
  const sessions = (await send(tenant, 'final sessions', 'GET', '/v1/sessions?limit=1000')).json<{
    sessions: SessionJson[];
  }>().sessions;
  for (const session of sessions) checkOwnSession(tenant, 'final sessions', session);
  if (sessions.length !== tenant.sessions.size)
    violation(
      tenant,
      'final sessions',
      `${sessions.length} sessions, ${tenant.sessions.size} known`,
    );
  for (const [id, contents] of tenant.sessions) {
    const { messages } = (
      await send(tenant, 'final messages', 'GET', `/v1/sessions/${id}/messages?limit=1000`)
    ).json<{ messages: MessageJson[] }>();
    if (JSON.stringify(messages.map((message) => message.content)) !== JSON.stringify(contents))
      violation(tenant, 'final messages', `session ${id} differs from the truth`);
  }
  await profileGet(tenant, prng(0));
  const rows: AuditJson[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = (
      await send(tenant, 'final audit', 'GET', `/v1/requests?limit=1000&offset=${offset}`)
    ).json<{ requests: AuditJson[] }>().requests;
    rows.push(...page);
    if (page.length < 1000) break;
  }
  for (const row of rows) checkAuditRow(tenant, row);
  if (rows.length !== tenant.mutating)
    violation(
      tenant,
      'final audit',
      `${rows.length} audit rows, ${tenant.mutating} mutating requests`,
    );
}

function compareMemories(
  tenant: Tenant,
  kind: string,
  stored: Array<{ id: string; text: string; agentId: string; runId: string; deleted: boolean }>,
): void {
  const byId = new Map(stored.map((memory) => [memory.id, memory]));
  if (byId.size !== tenant.memories.size)
    violation(tenant, kind, `${byId.size} memories stored, ${tenant.memories.size} known`);
  for (const [id, truth] of tenant.memories) {
    const memory = byId.get(id);
    if (!memory) violation(tenant, kind, `memory ${id} missing`);
    else if (
      memory.text !== truth.text ||
      memory.agentId !== truth.agentId ||
      memory.runId !== truth.runId ||
      memory.deleted !== truth.deleted
    )
      violation(
        tenant,
        kind,
        `memory ${id} is ${JSON.stringify(memory)}, known ${JSON.stringify(truth)}`,
      );
  }
}

/** The library, on the same home after the server stopped, sees exactly the ground truth. */
async function compareThroughLibrary(mnemos: Mnemos): Promise<void> {
  let live = 0;
  for (const tenant of tenants) {
    const owner = { appId: tenant.appId, tenantId: tenant.tenantId };
    const { memories } = await mnemos.memories.list({
      scope: owner,
      limit: 1000,
      includeDeleted: true,
    });
    for (const memory of memories) checkOwnMemory(tenant, 'library list', memory);
    compareMemories(
      tenant,
      'library list',
      memories.map((memory) => ({
        id: memory.id,
        text: memory.text,
        agentId: memory.scope.agentId,
        runId: memory.scope.runId,
        deleted: memory.deletedAt !== null,
      })),
    );
    live += liveIds(tenant).length;
    const sessions = await mnemos.sessions.list(owner, { limit: 1000 });
    if (sessions.length !== tenant.sessions.size)
      violation(
        tenant,
        'library sessions',
        `${sessions.length} stored, ${tenant.sessions.size} known`,
      );
    for (const [id, contents] of tenant.sessions) {
      const messages = await mnemos.sessions.messages(owner, id, { limit: 1000 });
      if (JSON.stringify(messages.map((message) => message.content)) !== JSON.stringify(contents))
        violation(tenant, 'library messages', `session ${id} differs from the truth`);
    }
    const profile = await mnemos.profile.asRecord(owner);
    if (
      JSON.stringify(sorted(profile)) !== JSON.stringify(sorted(Object.fromEntries(tenant.profile)))
    )
      violation(tenant, 'library profile', JSON.stringify(profile));
    const audit = await mnemos.keys.requests(owner, { limit: 1000 });
    if (audit.length !== Math.min(1000, tenant.mutating))
      violation(tenant, 'library audit', `${audit.length} rows, ${tenant.mutating} mutating`);
  }
  // No memory was written anywhere else (e.g. under a tenant named in a refused body).
  const statistics = await mnemos.statistics();
  const stored = Object.values(statistics.memoriesByStore).reduce((sum, n) => sum + n, 0);
  if (stored !== live) violations.push(`${stored} live memories stored, ${live} known`);
  const jobs = Object.values(statistics.jobStates).reduce((sum, n) => sum + n, 0);
  const known = tenants.reduce((sum, tenant) => sum + tenant.jobs.size, 0);
  if (jobs !== known) violations.push(`${jobs} jobs stored, ${known} acknowledged`);
}

function printSummary(randomPhaseMs: number): void {
  const rows = [...outcomes]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([kind, byStatus]) =>
        `  ${kind.padEnd(26)} ${[...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
    );
  const perTenant = tenants
    .map(
      (tenant) =>
        `  ${tenant.label}: ${tenant.memories.size} memories (${liveIds(tenant).length} live), ${tenant.sessions.size} sessions, ${tenant.profile.size} profile keys, ${tenant.mutating} audited requests`,
    )
    .join('\n');
  console.log(
    `tenant isolation: seed ${seed}, ${requestCount} requests (${randomPhaseMs} ms random phase), ${violations.length} violations\n${rows.join('\n')}\n${perTenant}`,
  );
}
