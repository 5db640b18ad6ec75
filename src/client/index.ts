/** `mnemos/client`: the typed HTTP client of a Mnemos service, with the library's own types. */
export type { AgentEvent, TokenUsage } from '../core/agent-events.js';
export { type ErrorCategory, type ErrorCode, MnemosError } from '../core/errors.js';
export type { Job } from '../core/job-record.js';
export type { ApiKeyRecord, AuditEntry } from '../core/key-record.js';
export type { HistoryEntry, MemoryKind, MemoryRecord } from '../core/memory-record.js';
export type { ProfileEntry } from '../core/profile-record.js';
export type { Scope } from '../core/scope.js';
export type { SearchMemoriesOutput, SearchResult } from '../core/search-result.js';
export type { SessionMessage, SessionRecord } from '../core/session-record.js';
export type { StoreRecord } from '../core/store-record.js';
export { isUnavailable, type UnreachableReason } from './client-errors.js';
export type { MemoriesApi } from './memories-api.js';
export { MnemosClient } from './mnemos-client.js';
export type { SessionsApi } from './sessions-api.js';
export type * from './skill-types.js';
export type { KeysApi, ProfileApi, StoresApi } from './tenant-apis.js';
export type * from './types.js';
