import { randomUUID } from 'node:crypto';
import { MnemosError } from '../core/errors.js';
import type { ExpireMemoriesInput, ExpireMemoriesOutput } from '../core/expiry-inputs.js';
import { type Job, type JobInput, type JobRecord, publicJob } from '../core/job-record.js';
import { checkPage, limits } from '../core/limits.js';
import {
  type AddedJob,
  type AddMemoriesInput,
  addMemoriesSchema,
  type ListMemoriesInput,
  listFilterSchema,
  type MemoryAddress,
  type MemoryPatch,
  type ScopeInput,
  type SearchMemoriesInput,
  searchMemoriesSchema,
  updateMemorySchema,
} from '../core/memory-inputs.js';
import type { HistoryEntry, MemoryRecord } from '../core/memory-record.js';
import { parseInput } from '../core/schemas.js';
import {
  readScope,
  type Scope,
  scopeWithDefaults,
  type TenantKey,
  tenantScope,
  writeScope,
} from '../core/scope.js';
import type { SearchMemoriesOutput } from '../core/search-result.js';
import { textHash } from '../core/text-hash.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { Redactor } from '../redaction/redactor.js';
import type { Embedder } from '../spec/embedder.js';
import type { MemoryFilter, Storage } from '../spec/storage.js';
import { indexTokens } from '../text/tokenizer.js';
import { expireMemories } from './memory-expiry.js';
import { redactionFields, redactJobInputs } from './redact-job-input.js';
import type { HybridSearch } from './retrieve/hybrid-search.js';
import type { StoreService } from './stores/store-service.js';

export type {
  AddedJob,
  AddMemoriesInput,
  ListMemoriesInput,
  MemoryAddress,
  MemoryPatch,
  ScopeInput,
  SearchMemoriesInput,
} from '../core/memory-inputs.js';
export type { SearchMemoriesOutput } from '../core/search-result.js';

/** What one finished job did with its memories. */
export interface JobOutcomeSummary {
  /** Job id. */
  id: string;
  status: Job['status'];
  /** Memories the job wrote first. */
  added: string[];
  /** Memories stored before (or by an earlier job) that the job was merged into, with their text. */
  merged: Array<{ id: string; text: string }>;
}

const syncTimeoutMs = 120_000;

function isoToMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

/** Long-term memory use cases; every surface calls these and nothing else. */
export class MemoryService {
  constructor(
    private readonly storage: Storage,
    private readonly stores: StoreService,
    private readonly embedder: Embedder,
    private readonly search_: HybridSearch,
    private readonly runner: JobRunner,
    private readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * Remembers messages or a note. Returns a durable job at once; with `sync: true`, waits until the
   * memories are searchable. Bad input is rejected whole before anything is written; secrets are
   * replaced before the job is stored, and the job says how many (`redacted`, `warnings`).
   * @example await mnemos.memories.add({ scope: { appId: 'app', tenantId: 'u1' }, text: '用户偏好简洁的中文回复', sync: true })
   */
  async add(input: AddMemoriesInput): Promise<AddedJob> {
    const [job] = await this.addMany([input], { sync: input.sync ?? false });
    return job!;
  }

  /**
   * Enqueues many add requests in one transaction (imports, bulk loads). Every request is validated
   * first; one bad request rejects them all, naming its index, before anything is written.
   */
  async addMany(inputs: AddMemoriesInput[], options: { sync?: boolean } = {}): Promise<AddedJob[]> {
    const validated = inputs.map((input, index) => {
      try {
        return validateAdd(input);
      } catch (error) {
        if (MnemosError.isInstance(error) && inputs.length > 1) {
          throw new MnemosError(error.code, `request ${index + 1}: ${error.message}`, {
            details: { ...error.details, index },
          });
        }
        throw error;
      }
    });
    const redactions = new Map<string, ReturnType<typeof redactionFields>>();
    const redacted = redactJobInputs(
      validated.map((request) => request.input),
      this.redactor,
    );
    const requests = validated.map((request, index) => {
      redactions.set(request.id, redactionFields(redacted[index]!.redaction));
      return { ...request, input: redacted[index]!.input };
    });
    const byStore = new Map<string | undefined, ValidatedAdd[]>();
    for (const request of requests)
      byStore.set(request.store, [...(byStore.get(request.store) ?? []), request]);
    const sync = options.sync ?? false;
    const jobs: Array<{ store: string; job: JobRecord }> = [];
    for (const [storeName, group] of byStore) {
      const store = await this.stores.resolveForWrite(storeName);
      const records = await this.storage.jobs.enqueue(
        store.name,
        group.map((request) => ({ id: request.id, scope: request.scope, input: request.input })),
        Date.now(),
        { claim: sync ? this.runner.claim : undefined },
      );
      for (const job of records) jobs.push({ store: store.name, job });
    }
    const added = (job: Job): AddedJob => ({ ...job, ...redactions.get(job.id)! });
    if (!sync) {
      this.runner.kick();
      return jobs.map(({ job }) => added(publicJob(job)));
    }
    await this.runner.runClaimed(jobs.map(({ job }) => job));
    const finished: AddedJob[] = [];
    for (const { store, job } of jobs) {
      const current = await this.storage.jobs.get(store, job.scope, job.id);
      const done = current && (current.state === 'succeeded' || current.state === 'failed');
      // A job waiting out a retry backoff is finished by the runner; wait for it like any other.
      finished.push(
        added(publicJob(done ? current : await this.runner.waitFor(store, job, syncTimeoutMs))),
      );
    }
    return finished;
  }

  /** Checks an add request against every rule without writing anything. */
  async validate(input: AddMemoriesInput): Promise<void> {
    validateAdd(input);
  }

  /** Jobs not finished yet in a store (the default store when omitted). */
  async pendingJobCount(storeName?: string): Promise<number> {
    const store = await this.stores.resolveForRead(storeName);
    if (!store) return 0;
    return this.storage.jobs.pendingCount(store.name);
  }

  /**
   * Hybrid search within one tenant; agentId and runId may be `*`.
   * @example await mnemos.memories.search({ scope: { appId: 'app', tenantId: 'u1' }, query: '回答风格' })
   */
  async search(input: SearchMemoriesInput): Promise<SearchMemoriesOutput> {
    const parsed = parseInput(searchMemoriesSchema, input, 'search request');
    const scope = readScope(parsed.scope);
    const store = await this.stores.resolveForRead(parsed.store);
    if (!store) return this.search_.nothingFound({ rerank: parsed.rerank ?? false });
    const filter: MemoryFilter = {
      ...(parsed.kinds ? { kinds: parsed.kinds } : {}),
      ...(parsed.metadata ? { metadata: parsed.metadata } : {}),
      ...(parsed.createdAfter ? { createdAfter: isoToMs(parsed.createdAfter) } : {}),
      ...(parsed.createdBefore ? { createdBefore: isoToMs(parsed.createdBefore) } : {}),
    };
    return this.search_.search({
      store,
      scope,
      query: parsed.query,
      topK: parsed.topK ?? limits.defaultTopK,
      filter,
      rerank: parsed.rerank ?? false,
      includeInvalidated: parsed.includeInvalidated ?? false,
    });
  }

  /** Lists memories of a scope pattern, newest first. */
  async list(input: ListMemoriesInput): Promise<{ memories: MemoryRecord[]; total: number }> {
    const scope = readScope(input.scope);
    const { limit, offset } = checkPage(input.limit, input.offset, 100);
    const parsed = parseInput(
      listFilterSchema,
      { kinds: input.kinds, metadata: input.metadata },
      'list request',
    );
    const store = await this.stores.resolveForRead(input.store);
    if (!store) return { memories: [], total: 0 };
    const filter: MemoryFilter = {
      ...(parsed.kinds ? { kinds: parsed.kinds } : {}),
      ...(parsed.metadata ? { metadata: parsed.metadata } : {}),
    };
    const includeDeleted = input.includeDeleted ?? false;
    const [rows, total] = await Promise.all([
      this.storage.memories.list(store.name, scope, { limit, offset }, { filter, includeDeleted }),
      this.storage.memories.count(store.name, scope, { filter, includeDeleted }),
    ]);
    return { memories: rows.map(({ key: _key, ...memory }) => memory), total };
  }

  /** One memory of the tenant, including soft-deleted ones; throws `not_found`. */
  async get(address: MemoryAddress): Promise<MemoryRecord> {
    const tenant = tenantScope(address.scope);
    const store = await this.stores.resolveForRead(address.store);
    if (!store) throw memoryNotFound(checkId(address.id));
    const [found] = await this.storage.memories.get(store.name, tenant, [checkId(address.id)], {
      includeDeleted: true,
    });
    if (!found) throw memoryNotFound(address.id);
    const { key: _key, ...memory } = found;
    return memory;
  }

  /** Changes a memory's text, kind, salience or metadata, keeping the old text in history. */
  async update(address: MemoryAddress, patch: MemoryPatch): Promise<MemoryRecord> {
    const parsed = parseInput(updateMemorySchema, patch, 'update request');
    const tenant = tenantScope(address.scope);
    const store = await this.stores.resolveForWrite(address.store);
    const id = checkId(address.id);
    if (parsed.text !== undefined) parsed.text = this.redactor.redact(parsed.text).text;
    if (parsed.metadata) parsed.metadata = this.redactor.redactRecord(parsed.metadata).record;
    const textFields =
      parsed.text === undefined
        ? {}
        : {
            text: parsed.text,
            tokens: indexTokens(parsed.text).join(' '),
            hash: textHash(parsed.text),
            embedding: (await this.embedder.doEmbed([parsed.text]))[0]!,
          };
    await this.storage.memories.apply(
      store.name,
      tenant,
      [{ type: 'update', id, reason: 'api', patch: { ...parsed, ...textFields } }],
      Date.now(),
    );
    return this.get(address);
  }

  /** Soft-deletes a memory (history keeps it), or removes it for good with `purge`. */
  async delete(address: MemoryAddress & { purge?: boolean }): Promise<void> {
    const tenant = tenantScope(address.scope);
    const store = await this.stores.resolveForWrite(address.store);
    const id = checkId(address.id);
    const done = address.purge
      ? await this.storage.memories.purge(store.name, tenant, id)
      : await this.storage.memories.delete(store.name, tenant, id, {
          reason: 'api',
          now: Date.now(),
        });
    if (!done) throw memoryNotFound(id);
  }

  /** The ADD, UPDATE and DELETE rows of a memory, oldest first. */
  async history(address: MemoryAddress): Promise<HistoryEntry[]> {
    const tenant = tenantScope(address.scope);
    const store = await this.stores.resolveForRead(address.store);
    const id = checkId(address.id);
    if (!store) throw memoryNotFound(id);
    const history = await this.storage.memories.history(store.name, tenant, id);
    // No rows: an id of another tenant, or none at all, is not found, the same as `get`.
    if (
      history.length === 0 &&
      (await this.storage.memories.get(store.name, tenant, [id], { includeDeleted: true }))
        .length === 0
    ) {
      throw memoryNotFound(id);
    }
    return history;
  }

  /**
   * Soft-deletes every memory matching the pattern; appId and tenantId are required, so it never
   * reaches past one tenant. Returns how many were deleted.
   */
  async deleteByScope(input: { store?: string; scope: ScopeInput }): Promise<number> {
    const scope = readScope(input.scope);
    const store = await this.stores.resolveForWrite(input.store);
    return this.storage.memories.deleteByScope(store.name, scope, Date.now());
  }

  /**
   * Expires memories not updated for `olderThanMs`, keeping the often or lately recalled and the
   * kept kinds; of one tenant or every tenant, one store or every store (operator maintenance).
   * @example await mnemos.memories.expire({ olderThanMs: 90 * 86_400_000, dryRun: true })
   */
  async expire(input: ExpireMemoriesInput): Promise<ExpireMemoriesOutput> {
    return expireMemories(this.storage, this.stores, input);
  }

  /** One ingestion job of the tenant. */
  async job(input: { store?: string; scope: ScopeInput; id: string }): Promise<Job> {
    const store = await this.stores.resolveForRead(input.store);
    const tenant = tenantScope(input.scope);
    const found = store && (await this.storage.jobs.get(store.name, tenant, input.id));
    if (!found)
      throw new MnemosError('not_found', `job ${input.id} not found`, {
        details: { id: input.id },
      });
    return publicJob(found);
  }

  /**
   * What finished jobs did: for each, the memories it added and those it was merged into (a memory
   * whose first source is another job), so an import can say what it merged and into what.
   */
  async jobOutcomes(input: {
    store?: string;
    jobs: Array<{ id: string; scope: ScopeInput }>;
  }): Promise<JobOutcomeSummary[]> {
    const store = await this.stores.resolveForRead(input.store);
    const records: Array<{ tenant: TenantKey; job: JobRecord | null; id: string }> = [];
    for (const { id, scope } of input.jobs) {
      const tenant = tenantScope(scope);
      records.push({
        tenant,
        id,
        job: store && (await this.storage.jobs.get(store.name, tenant, id)),
      });
    }
    // No store yet: no job was written, so each is unknown, which reads as failed.
    if (!store) return records.map(({ id }) => ({ id, status: 'failed', added: [], merged: [] }));
    const memories = new Map<string, MemoryRecord>();
    const byTenant = new Map<string, { tenant: TenantKey; ids: string[] }>();
    for (const { tenant, job } of records) {
      const key = `${tenant.appId}\u0000${tenant.tenantId}`;
      const group = byTenant.get(key) ?? { tenant, ids: [] };
      byTenant.set(key, group);
      group.ids.push(...(job?.memoryIds ?? []));
    }
    for (const { tenant, ids } of byTenant.values()) {
      const unique = [...new Set(ids)];
      for (let start = 0; start < unique.length; start += 500) {
        const rows = await this.storage.memories.get(
          store.name,
          tenant,
          unique.slice(start, start + 500),
          { includeDeleted: true },
        );
        for (const { key: _key, ...memory } of rows) memories.set(memory.id, memory);
      }
    }
    return records.map(({ id, job }) => {
      const outcome: JobOutcomeSummary = {
        id,
        status: job ? publicJob(job).status : 'failed',
        added: [],
        merged: [],
      };
      for (const memoryId of job?.memoryIds ?? []) {
        const memory = memories.get(memoryId);
        if (memory && memory.sources[0]?.jobId !== id)
          outcome.merged.push({ id: memoryId, text: memory.text });
        else outcome.added.push(memoryId);
      }
      return outcome;
    });
  }

  /** Ingestion jobs of the tenant, newest first, with their raw input (the short-term memory). */
  async jobs(input: {
    store?: string;
    scope: ScopeInput;
    states?: string[];
    limit?: number;
    offset?: number;
  }): Promise<JobRecord[]> {
    const store = await this.stores.resolveForRead(input.store);
    const tenant = tenantScope(input.scope);
    if (!store) return [];
    return this.storage.jobs.list(store.name, tenant, input.states ?? [], {
      limit: input.limit ?? 50,
      offset: input.offset ?? 0,
    });
  }

  /** Puts failed jobs back in the queue. */
  async retryJobs(input: { store?: string; scope: ScopeInput; ids?: string[] }): Promise<number> {
    const store = await this.stores.resolveForWrite(input.store);
    const count = await this.storage.jobs.retry(
      store.name,
      tenantScope(input.scope),
      input.ids ?? 'all-failed',
      Date.now(),
    );
    this.runner.kick();
    return count;
  }
}

interface ValidatedAdd {
  id: string;
  store: string | undefined;
  scope: Scope;
  input: JobInput;
}

/** Applies every add rule: schema, write scope, exactly one of text/messages, and the size limits. */
function validateAdd(input: AddMemoriesInput): ValidatedAdd {
  const parsed = parseInput(
    addMemoriesSchema,
    { ...input, scope: scopeWithDefaults('write', input.scope) },
    'add request',
  );
  const scope = writeScope(parsed.scope);
  if ((parsed.messages === undefined) === (parsed.text === undefined)) {
    throw new MnemosError(
      'invalid_input',
      'give either `messages` or `text`, not both and not neither',
    );
  }
  if (parsed.messages && parsed.messages.length > limits.maxMessages) {
    throw new MnemosError(
      'limit_exceeded',
      `at most ${limits.maxMessages} messages per request, got ${parsed.messages.length}`,
      {
        details: { limit: limits.maxMessages, actual: parsed.messages.length },
      },
    );
  }
  const characters =
    parsed.text?.length ??
    (parsed.messages ?? []).reduce((sum, message) => sum + message.content.length, 0);
  if (characters > limits.maxCharacters) {
    throw new MnemosError(
      'limit_exceeded',
      `at most ${limits.maxCharacters} characters per request, got ${characters}`,
      {
        details: { limit: limits.maxCharacters, actual: characters },
      },
    );
  }
  const content = parsed.text ?? (parsed.messages ?? []).map((message) => message.content).join('');
  if (content.trim() === '')
    throw new MnemosError('invalid_input', 'nothing to remember: the text or messages are empty');
  return {
    id: randomUUID(),
    store: parsed.store,
    scope,
    input: {
      ...(parsed.messages ? { messages: parsed.messages } : {}),
      ...(parsed.text !== undefined ? { text: parsed.text } : {}),
      metadata: parsed.metadata ?? {},
      ...(parsed.kind ? { kind: parsed.kind } : {}),
    },
  };
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
    throw new MnemosError('invalid_input', 'memory id must be a non-empty string', {
      details: { field: 'id' },
    });
  }
  return id;
}

function memoryNotFound(id: string): MnemosError {
  return new MnemosError('not_found', `memory ${id} not found in this tenant`, { details: { id } });
}
