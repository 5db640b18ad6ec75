/** `mnemos/client`: the typed HTTP client of a Mnemos service, with the library's own types. */
export type { AgentEvent, TokenUsage } from '../agent/loop/agent-events.js';
export { type ErrorCategory, type ErrorCode, MnemosError } from '../errors.js';
export type { Job } from '../jobs/job-record.js';
export type { ApiKeyRecord, AuditEntry } from '../keys/key-record.js';
export type { SearchMemoriesOutput } from '../memory/memory-service.js';
export type { HistoryEntry, MemoryKind, MemoryRecord } from '../memory/record.js';
export type { SearchResult } from '../memory/retrieve/hybrid-search.js';
export type { Scope } from '../memory/scope.js';
export type { ProfileEntry } from '../profile/profile-record.js';
export type { SessionMessage, SessionRecord } from '../sessions/session-record.js';
export type { StoreRecord } from '../stores/store-record.js';
export { isUnavailable, type UnreachableReason } from './client-errors.js';
export type { MemoriesApi } from './memories-api.js';
export { MnemosClient } from './mnemos-client.js';
export type { SessionsApi } from './sessions-api.js';
export type { KeysApi, ProfileApi, StoresApi } from './tenant-apis.js';
export type * from './types.js';
