import type { Job } from '../core/job-record.js';
import type { HistoryEntry, MemoryRecord } from '../core/memory-record.js';
import type { SearchMemoriesOutput } from '../core/search-result.js';
import { type HttpTransport, segment } from './http-transport.js';
import type {
  CallOptions,
  ClientAddInput,
  ClientListInput,
  ClientScope,
  ClientSearchInput,
  MemoryMessage,
  MemoryPatch,
  PageOptions,
  StoreOption,
} from './types.js';

/** Long-term memories of the key's tenant, as `mnemos.memories` offers them in process. */
export class MemoriesApi {
  constructor(private readonly http: HttpTransport) {}

  /** Remembers messages or a note; a job at once, or the finished job with `sync: true`. */
  add(input: ClientAddInput, options: CallOptions = {}): Promise<Job> {
    return this.http.json('POST', '/v1/memories', { ...options, body: input });
  }

  /** Hybrid search; reads across the tenant's agents and runs unless `scope` narrows it. */
  async search(input: ClientSearchInput, options: CallOptions = {}): Promise<SearchMemoriesOutput> {
    const { results, warnings } = await this.http.json<SearchMemoriesOutput>(
      'POST',
      '/v1/memories/search',
      { ...options, body: input },
    );
    return { results, warnings };
  }

  /** A page of memories, newest first, and how many match in all. */
  list(
    input: ClientListInput = {},
    options: CallOptions = {},
  ): Promise<{ memories: MemoryRecord[]; total: number }> {
    return this.http.json('GET', '/v1/memories', {
      ...options,
      query: {
        store: input.store,
        agentId: input.scope?.agentId,
        runId: input.scope?.runId,
        kind: input.kind,
        includeDeleted: input.includeDeleted,
        limit: input.limit,
        offset: input.offset,
      },
    });
  }

  /** One memory of the tenant, soft-deleted ones included; `not_found` otherwise. */
  get(id: string, options: StoreOption & CallOptions = {}): Promise<MemoryRecord> {
    const { store, ...call } = options;
    return this.http.json('GET', `/v1/memories${segment(id)}`, { ...call, query: { store } });
  }

  /** Changes text, kind, salience or metadata; history keeps the old text. */
  update(
    id: string,
    patch: MemoryPatch & StoreOption,
    options: CallOptions = {},
  ): Promise<MemoryRecord> {
    return this.http.json('PATCH', `/v1/memories${segment(id)}`, { ...options, body: patch });
  }

  /** Forgets a memory (soft); `purge` removes it and its history for good. */
  async delete(
    id: string,
    options: StoreOption & CallOptions & { purge?: boolean } = {},
  ): Promise<void> {
    const { store, purge, ...call } = options;
    await this.http.json('DELETE', `/v1/memories${segment(id)}`, {
      ...call,
      query: { store, purge },
    });
  }

  /** ADD, UPDATE, INVALIDATE and DELETE events of a memory, oldest first. */
  async history(id: string, options: StoreOption & CallOptions = {}): Promise<HistoryEntry[]> {
    const { store, ...call } = options;
    const { history } = await this.http.json<{ history: HistoryEntry[] }>(
      'GET',
      `/v1/memories${segment(id)}/history`,
      { ...call, query: { store } },
    );
    return history;
  }

  /** Forgets every memory matching the pattern inside the tenant; how many were forgotten. */
  async deleteByScope(
    input: StoreOption & { scope?: ClientScope } = {},
    options: CallOptions = {},
  ): Promise<number> {
    const { deleted } = await this.http.json<{ deleted: number }>(
      'POST',
      '/v1/memories/delete-by-scope',
      { ...options, body: input },
    );
    return deleted;
  }

  /** An ingestion job (`running`, `succeeded` or `failed`). */
  job(id: string, options: StoreOption & CallOptions = {}): Promise<Job> {
    const { store, ...call } = options;
    return this.http.json('GET', `/v1/jobs${segment(id)}`, { ...call, query: { store } });
  }

  /** Raw messages kept from ingestion (the short-term memory), newest job first. */
  async messages(
    input: StoreOption & PageOptions = {},
    options: CallOptions = {},
  ): Promise<MemoryMessage[]> {
    const { messages } = await this.http.json<{ messages: MemoryMessage[] }>(
      'GET',
      '/v1/memory-messages',
      { ...options, query: { store: input.store, limit: input.limit, offset: input.offset } },
    );
    return messages;
  }
}
