import { createHash } from 'node:crypto';
import type { JobRecord, JobState, JobUsage } from '../../core/job-record.js';
import type { HistoryEntry, HistoryEvent, MemoryKind } from '../../core/memory-record.js';
import { partsFromJson } from '../../core/message-parts.js';
import type { SessionMessage, SessionRecord } from '../../core/session-record.js';
import type { StoreRecord } from '../../core/store-record.js';
import type { KeyedMemory } from '../../spec/storage.js';
import { decodeSources } from './memory-sources.js';

/** ISO string of an epoch millisecond, or null. */
export function iso(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}

/** ISO string of an epoch millisecond that is never null. */
export function isoRequired(value: number): string {
  return new Date(value).toISOString();
}

/** Full-text partition token of a tenant, so FTS work stays inside one tenant's postings. */
export function partitionToken(store: string, appId: string, tenantId: string): string {
  const digest = createHash('sha1').update(`${store}\u0000${appId}\u0000${tenantId}`).digest('hex');
  return `p${digest.slice(0, 24)}`;
}

/** Float32Array as a BLOB without copying. */
export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** BLOB as a Float32Array (copied, so it is aligned and owned). */
export function blobToVector(blob: Buffer): Float32Array {
  const copy = new Float32Array(blob.byteLength / 4);
  new Uint8Array(copy.buffer).set(blob);
  return copy;
}

/** Raw row of the memories table. */
export interface MemoryRow {
  key: number;
  id: string;
  store: string;
  app_id: string;
  tenant_id: string;
  agent_id: string;
  run_id: string;
  text: string;
  kind: string;
  salience: number;
  metadata: string;
  source: string;
  hash: string;
  created_at: number;
  updated_at: number;
  last_accessed_at: number | null;
  access_count: number;
  valid_to: number | null;
  deleted_at: number | null;
}

/** Memory columns selected for records (everything but the embedding). */
export const memoryColumns =
  'key, id, store, app_id, tenant_id, agent_id, run_id, text, kind, salience, metadata, source, hash, created_at, updated_at, last_accessed_at, access_count, valid_to, deleted_at';

/** The memory columns qualified with a table alias. */
export function prefixed(alias: string): string {
  return memoryColumns
    .split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

/** Maps a memories row to a record. */
export function memoryFromRow(row: MemoryRow): KeyedMemory {
  return {
    key: row.key,
    id: row.id,
    store: row.store,
    text: row.text,
    kind: row.kind as MemoryKind,
    salience: row.salience,
    scope: { appId: row.app_id, tenantId: row.tenant_id, agentId: row.agent_id, runId: row.run_id },
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    ...decodeSources(row.source),
    hash: row.hash,
    createdAt: isoRequired(row.created_at),
    updatedAt: isoRequired(row.updated_at),
    lastAccessedAt: iso(row.last_accessed_at),
    accessCount: row.access_count,
    validTo: iso(row.valid_to),
    deletedAt: iso(row.deleted_at),
  };
}

/** Raw row of the stores table. */
export interface StoreRow {
  name: string;
  description: string;
  embedder_id: string;
  dimensions: number;
  created_at: number;
  updated_at: number;
}

/** Maps a stores row to a record. */
export function storeFromRow(row: StoreRow): StoreRecord {
  return {
    name: row.name,
    description: row.description,
    embedderId: row.embedder_id,
    dimensions: row.dimensions,
    createdAt: isoRequired(row.created_at),
    updatedAt: isoRequired(row.updated_at),
  };
}

/** Raw row of the memory_history table. */
export interface HistoryRow {
  id: string;
  memory_id: string;
  event: string;
  old_text: string | null;
  new_text: string | null;
  reason: string;
  created_at: number;
}

/** Maps a history row to an entry. */
export function historyFromRow(row: HistoryRow): HistoryEntry {
  return {
    id: row.id,
    memoryId: row.memory_id,
    event: row.event as HistoryEvent,
    oldText: row.old_text,
    newText: row.new_text,
    reason: row.reason,
    createdAt: isoRequired(row.created_at),
  };
}

/** Raw row of the jobs table. */
export interface JobRow {
  id: string;
  store: string;
  app_id: string;
  tenant_id: string;
  agent_id: string;
  run_id: string;
  state: string;
  input: string;
  memory_ids: string;
  usage?: string | null;
  error: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

/** Maps a jobs row to a record. */
export function jobFromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    store: row.store,
    scope: { appId: row.app_id, tenantId: row.tenant_id, agentId: row.agent_id, runId: row.run_id },
    state: row.state as JobState,
    input: JSON.parse(row.input) as JobRecord['input'],
    memoryIds: JSON.parse(row.memory_ids) as string[],
    ...(row.usage ? { usage: JSON.parse(row.usage) as JobUsage } : {}),
    error: row.error,
    attempts: row.attempts,
    createdAt: isoRequired(row.created_at),
    updatedAt: isoRequired(row.updated_at),
  };
}

/** Raw row of the sessions table. */
export interface SessionRow {
  app_id: string;
  tenant_id: string;
  id: string;
  agent_id: string;
  title: string;
  metadata: string;
  parent_id: string | null;
  message_count: number;
  created_at: number;
  updated_at: number;
}

/** Maps a sessions row to a record. */
export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    appId: row.app_id,
    tenantId: row.tenant_id,
    agentId: row.agent_id,
    title: row.title,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    parentId: row.parent_id,
    messageCount: row.message_count,
    createdAt: isoRequired(row.created_at),
    updatedAt: isoRequired(row.updated_at),
  };
}

/** Raw row of the session_messages table. */
export interface MessageRow {
  id: string;
  session_id: string;
  seq: number;
  role: string;
  content: string;
  name: string | null;
  metadata: string;
  /** JSON array of tool parts. */
  parts: string;
  created_at: number;
}

/** Maps a session_messages row to a message. */
export function messageFromRow(row: MessageRow): SessionMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role as SessionMessage['role'],
    content: row.content,
    name: row.name,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    parts: partsFromJson(row.parts),
    createdAt: isoRequired(row.created_at),
  };
}

/**
 * FTS5 MATCH expression: the tenant's partition AND any of the tokens, each quoted as a phrase.
 * A token given n times stays n phrases: bm25() sums over phrases, so it weighs n times.
 */
export function matchExpression(partition: string, tokens: string[]): string {
  const terms = tokens
    .filter((token) => token.length > 0)
    .map((token) => `"${token.replaceAll('"', '""')}"`)
    .join(' OR ');
  return `partition:"${partition}" AND tokens:(${terms})`;
}
