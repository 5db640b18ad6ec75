import type { Scope } from './scope.js';

/** Categories of memory, matching what extractors produce. */
export const memoryKinds = ['fact', 'preference', 'profile', 'decision', 'event', 'note'] as const;

/** Category of a memory. */
export type MemoryKind = (typeof memoryKinds)[number];

/** Where a memory came from: one job that wrote it or said it again. */
export interface MemorySource {
  /** Ingestion job that wrote it, if any. */
  jobId?: string;
  /** Indexes of the job's messages it was extracted from. */
  messages?: number[];
  /** Position of this piece when one long text was split into several; search shows one piece per text. */
  part?: number;
  /** Role of the first source message. */
  role?: string;
  /** Run (session) of the job. */
  runId?: string;
  /** Metadata the job gave the memory (session, turn, …), so a hit credits the right turn. */
  metadata?: Record<string, string>;
  /** The wording this source used, when it differs from the memory's text. */
  text?: string;
  /** ISO time the source was recorded. */
  at?: string;
}

/** Most sources kept on one memory: the first, and the latest after it. */
export const maxSources = 32;

/** A long-term memory as returned to callers. */
export interface MemoryRecord {
  /** Stable id. */
  id: string;
  /** Memory store name. */
  store: string;
  /** Self-contained memory text. */
  text: string;
  /** Category. */
  kind: MemoryKind;
  /** Importance in [0, 1]. */
  salience: number;
  /** Exact scope it was written with. */
  scope: Scope;
  /** String metadata, at most 16 keys. */
  metadata: Record<string, string>;
  /** Provenance: the source that first wrote it. */
  source: MemorySource;
  /**
   * Every source, oldest first (`sources[0]` is `source`): each job that wrote, repeated or
   * merged into it, at most {@link maxSources} (the first and the latest).
   */
  sources: MemorySource[];
  /** SHA-256 of the normalised text; exact duplicates in one scope share it. */
  hash: string;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** ISO time of the last time it was returned by search, or null. */
  lastAccessedAt: string | null;
  /** How many times search returned it. */
  accessCount: number;
  /** ISO time after which the memory no longer holds, or null while valid. */
  validTo: string | null;
  /** ISO time of soft deletion, or null. */
  deletedAt: string | null;
}

/** The event recorded in a history row. */
export type HistoryEvent = 'ADD' | 'UPDATE' | 'DELETE' | 'INVALIDATE';

/** One change to a memory; updates and deletes keep the old text here. */
export interface HistoryEntry {
  /** History row id. */
  id: string;
  /** Memory the change applies to. */
  memoryId: string;
  /** What happened. */
  event: HistoryEvent;
  /** Text before the change (null for ADD). */
  oldText: string | null;
  /** Text after the change (null for DELETE and INVALIDATE). */
  newText: string | null;
  /** ISO time of the change. */
  createdAt: string;
  /**
   * Why it happened: `api`, `ingest`, `duplicate` (said again), `same_statement` (said again in other
   * punctuation or case), `llm_update`, `llm_known`, `contradicted`, `purge`, `delete_by_scope`.
   */
  reason: string;
}
