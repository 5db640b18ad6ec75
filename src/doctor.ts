import type { MnemosConfig } from './config/config.js';
import { readScope } from './core/scope.js';
import type { Embedder } from './spec/embedder.js';
import type { Storage } from './spec/storage.js';

/** Result of a read-only health check, shaped like the Tablestore plugin's `doctor`. */
export interface DoctorReport {
  ok: boolean;
  provider: 'mnemos';
  storage: string;
  database: string;
  store: string;
  embedder: string;
  /** Set when the check passes with something still to happen, e.g. a store created on first write. */
  note?: string;
  checks: {
    initialize: { ok: boolean; error?: string };
    describe_memory_store: {
      ok: boolean;
      error?: string;
      embedder?: string;
      dimensions?: number;
      /** false: it does not exist yet and is created on the first write. */
      created?: boolean;
    };
    list_memories: { ok: boolean; error?: string; count?: number; pendingJobs?: number };
  };
}

/** What the health check reads: the engine's home, settings, storage and embedder. */
export interface DoctorSubject {
  home: string;
  config: MnemosConfig;
  storage: Storage;
  embedder: Embedder;
}

/** Read-only health check of storage, the configured store and listing; writes nothing. */
export async function doctor(engine: DoctorSubject): Promise<DoctorReport> {
  const storeName = engine.config.memory_store_name;
  const report: DoctorReport = {
    ok: false,
    provider: 'mnemos',
    storage: engine.storage.kind,
    database: engine.storage.location,
    store: storeName,
    embedder: engine.embedder.id,
    checks: {
      initialize: { ok: true },
      describe_memory_store: { ok: false },
      list_memories: { ok: false },
    },
  };
  try {
    const store = await engine.storage.stores.get(storeName);
    if (!store && engine.config.auto_create_store) {
      // Healthy: the store is created on the first write (auto_create_store); nothing to list.
      report.checks.describe_memory_store = { ok: true, created: false };
      report.checks.list_memories = { ok: true, count: 0, pendingJobs: 0 };
      report.note = `the memory store ${storeName} is created on the first write (auto_create_store)`;
      report.ok = true;
      return report;
    }
    if (!store)
      throw new Error(
        `memory store ${storeName} does not exist and auto_create_store is off: create it with \`mnemos stores create ${storeName}\``,
      );
    if (store.embedderId !== engine.embedder.id) {
      throw new Error(
        `store was written by ${store.embedderId} but ${engine.embedder.id} is configured; run \`mnemos mem reembed\` to re-embed it with the configured embedder`,
      );
    }
    report.checks.describe_memory_store = {
      ok: true,
      embedder: store.embedderId,
      dimensions: store.dimensions,
    };
    const scope = readScope({ appId: engine.config.app_id, tenantId: engine.config.tenant_id });
    const count = await engine.storage.memories.count(storeName, scope);
    report.checks.list_memories = {
      ok: true,
      count,
      pendingJobs: await engine.storage.jobs.pendingCount(storeName),
    };
  } catch (error) {
    const failed = report.checks.describe_memory_store.ok
      ? 'list_memories'
      : 'describe_memory_store';
    report.checks[failed] = { ok: false, error: (error as Error).message };
  }
  report.ok = Object.values(report.checks).every((check) => check.ok);
  return report;
}
