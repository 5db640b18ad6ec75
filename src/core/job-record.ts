import type { ConversationMessage } from './conversation-message.js';
import type { MemoryKind } from './memory-record.js';
import type { ModelUsage } from './model-usage.js';
import type { Scope } from './scope.js';

/** Stored state of an ingestion job; `queued` is reported to callers as `running`. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** What a caller asked to remember; kept verbatim so nothing acknowledged is lost. */
export interface JobInput {
  /** Conversation messages, when ingesting dialogue. */
  messages?: ConversationMessage[];
  /** Plain text, when remembering a note directly. */
  text?: string;
  /** Metadata attached to every memory of the job. */
  metadata: Record<string, string>;
  /** Kind forced by the caller, else chosen by the extractor. */
  kind?: MemoryKind;
}

/** Chat model tokens of one job. */
export type JobUsage = ModelUsage;

/** An ingestion job as stored. */
export interface JobRecord {
  /** Job id. */
  id: string;
  /** Target memory store. */
  store: string;
  /** Exact scope the memories are written with. */
  scope: Scope;
  /** Stored state. */
  state: JobState;
  /** The request, verbatim. */
  input: JobInput;
  /** Ids of memories written or confirmed by the job. */
  memoryIds: string[];
  /** Chat tokens used by the job's LLM extraction and reconciliation; absent when no model was called. */
  usage?: JobUsage;
  /** Failure reason, when failed. */
  error: string | null;
  /** Processing attempts so far. */
  attempts: number;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** A job as callers see it. */
export interface Job {
  /** Job id. */
  id: string;
  /** `running` until it finishes. */
  status: 'running' | 'succeeded' | 'failed';
  /** Memories written or confirmed. */
  memoryIds: string[];
  /** Failure reason, or null. */
  error: string | null;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** On add responses: secrets replaced by `[REDACTED:<kind>]` markers before the job was stored. */
  redacted?: number;
  /** On add responses: non-fatal notes, such as which kinds of secret were redacted. */
  warnings?: string[];
}

/** Public view of a stored job. */
export function publicJob(record: JobRecord): Job {
  return {
    id: record.id,
    status: record.state === 'queued' ? 'running' : record.state,
    memoryIds: record.memoryIds,
    error: record.error,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
