export { Agent, type AgentOptions, type TurnDone } from './agent/agent.js';
export { type CreateAgentOptions, createAgent } from './agent/create-agent.js';
export type { AgentEvent, ChainedModel, TokenUsage } from './agent/loop/agent-events.js';
export { CuratedNotesProvider } from './agent/memory/curated-notes-provider.js';
export { EngineMemoryProvider } from './agent/memory/engine-provider.js';
export { MemoryManager, type Recall } from './agent/memory/memory-manager.js';
export type {
  AgentContext,
  CompletedTurn,
  HookMessage,
  MemoryProvider,
  MemoryWrite,
  ProviderSession,
  SessionSwitch,
} from './agent/memory/memory-provider.js';
export {
  RemoteMemoryProvider,
  type RemoteProviderOptions,
  type RemoteProviderStatus,
} from './agent/memory/remote-provider.js';
export type { AgentTool, AnyTool, ToolContext } from './agent/tools/tool.js';
export { type ErrorCategory, type ErrorCode, MnemosError } from './errors.js';
export type { Job, JobRecord } from './jobs/job-record.js';
export { PassthroughExtractor } from './memory/ingest/passthrough-extractor.js';
export { limits } from './memory/limits.js';
export type {
  AddMemoriesInput,
  ListMemoriesInput,
  MemoryAddress,
  SearchMemoriesInput,
  SearchMemoriesOutput,
} from './memory/memory-service.js';
export type {
  HistoryEntry,
  HistoryEvent,
  MemoryKind,
  MemoryRecord,
  MemorySource,
} from './memory/record.js';
export { memoryKinds } from './memory/record.js';
export type { SearchResult, SearchSignals } from './memory/retrieve/hybrid-search.js';
export type { ReadScope, Scope, TenantKey } from './memory/scope.js';
export { type DoctorReport, Mnemos, type MnemosOptions } from './mnemos.js';
export { BuiltinEmbedder } from './models/embed/builtin-embedder.js';
export type { Embedder } from './models/embedder.js';
export type { ConversationMessage, ExtractedMemory, Extractor } from './models/extractor.js';
export { OnnxCrossEncoderReranker, OnnxEmbedder } from './models/onnx/index.js';
export { LlmReranker } from './models/rerank/llm-reranker.js';
export type { RerankCandidate, Reranker } from './models/reranker.js';
export type { ProfileEntry, ProfileHistoryEntry } from './profile/profile-record.js';
export type {
  SessionMessage,
  SessionMessagePart,
  SessionRecord,
  ToolCallPart,
  ToolResultPart,
} from './sessions/session-record.js';
export type { MemoryStorage, StorageCapabilities } from './storage/spec.js';
export type {
  ReembedOptions,
  ReembedResult,
  ReembedStartInfo,
} from './stores/reembed-service.js';
export type { StoreRecord } from './stores/store-record.js';
export { tokenize } from './text/tokenizer.js';
