export { Agent, type AgentOptions, type TurnDone } from './agent/agent.js';
export { type CreateAgentOptions, createAgent } from './agent/create-agent.js';
export { CuratedNotesProvider } from './agent/notes/curated-notes-provider.js';
export { EngineMemoryProvider } from './agent/providers/engine-provider.js';
export { MemoryManager, type Recall } from './agent/providers/memory-manager.js';
export type {
  AgentContext,
  CompletedTurn,
  HookMessage,
  MemoryProvider,
  MemoryWrite,
  ProviderSession,
  SessionSwitch,
} from './agent/providers/memory-provider.js';
export {
  RemoteMemoryProvider,
  type RemoteProviderOptions,
  type RemoteProviderStatus,
} from './agent/providers/remote-provider.js';
export { type TeamAgentOptions, teamAgentFactory } from './agent/team-agents.js';
export type { AgentTool, AnyTool, ToolContext } from './agent/tools/tool.js';
export { AgentCatalog } from './agents/agent-catalog.js';
export {
  type DefinitionIssue,
  parseAgentDefinitionText,
  readAgentDefinitionFile,
} from './agents/agent-definition-file.js';
export { type AgentDefinitionChange, AgentService, localAgents } from './agents/agent-service.js';
export type { BrokenAgentFile } from './agents/home-agents.js';
export {
  type AgentDefinition,
  type AgentDefinitionInput,
  type AgentDefinitionRecord,
  agentDefinitionSchema,
  type DefinitionOrigin,
} from './core/agent-definition.js';
export type { AgentEvent, ChainedModel, TokenUsage } from './core/agent-events.js';
export type { ConversationMessage } from './core/conversation-message.js';
export type { CreateCronJobInput, UpdateCronJobInput } from './core/cron-inputs.js';
export type {
  CronDelivery,
  CronJobRecord,
  CronOrigin,
  CronRunRecord,
  CronRunStatus,
  CronScheduleKind,
  CronTask,
} from './core/cron-record.js';
export { type ErrorCategory, type ErrorCode, MnemosError } from './core/errors.js';
export type { Job, JobRecord } from './core/job-record.js';
export { limits } from './core/limits.js';
export type {
  HistoryEntry,
  HistoryEvent,
  MemoryKind,
  MemoryRecord,
  MemorySource,
} from './core/memory-record.js';
export { memoryKinds } from './core/memory-record.js';
export type { ProfileEntry, ProfileHistoryEntry } from './core/profile-record.js';
export type { ReadScope, Scope, TenantKey } from './core/scope.js';
export type {
  SessionMessage,
  SessionMessagePart,
  SessionRecord,
  ToolCallPart,
  ToolResultPart,
} from './core/session-record.js';
export type {
  SkillActor,
  SkillFiles,
  SkillOrigin,
  SkillProvenance,
  SkillRecord,
  SkillStatus,
  SkillSummary,
  SkillVersionEntry,
} from './core/skill-record.js';
export type { StoreRecord } from './core/store-record.js';
export type {
  TeamDefinition,
  TeamDefinitionInput,
  TeamMember,
} from './core/team-definition.js';
export type {
  TeamRunRecord,
  TeamRunStatus,
  TeamRunStep,
  TeamStepStatus,
} from './core/team-run-record.js';
export { nextRun, parseSchedule } from './cron/cron-schedule.js';
export { CronService } from './cron/cron-service.js';
export type { DoctorReport } from './doctor.js';
export { PassthroughExtractor } from './memory/ingest/passthrough-extractor.js';
export type {
  AddMemoriesInput,
  ListMemoriesInput,
  MemoryAddress,
  SearchMemoriesInput,
  SearchMemoriesOutput,
} from './memory/memory-service.js';
export type { SearchResult, SearchSignals } from './memory/retrieve/hybrid-search.js';
export type {
  ReembedOptions,
  ReembedResult,
  ReembedStartInfo,
} from './memory/stores/reembed-service.js';
export { Mnemos, type MnemosOptions } from './mnemos.js';
export { BuiltinEmbedder } from './models/embed/builtin-embedder.js';
export { OnnxCrossEncoderReranker, OnnxEmbedder } from './models/onnx/index.js';
export { LlmReranker } from './models/rerank/llm-reranker.js';
export type { CronBuiltin } from './scheduler/cron-executor.js';
export {
  CronScheduler,
  type CronSchedulerOptions,
  startCronScheduler,
} from './scheduler/cron-scheduler.js';
export { DirectorySkills } from './skills/directory-skills.js';
export { parseSkillMarkdown, type SkillIssue, validateSkill } from './skills/skill-format.js';
export { type CatalogEntry, SkillManager } from './skills/skill-manager.js';
export type { SkillRepository, SkillSource } from './skills/skill-repository.js';
export { type SkillScan, scanSkill } from './skills/skill-scan.js';
export { localSkills, SkillService } from './skills/skill-service.js';
export type { Embedder } from './spec/embedder.js';
export type { ExtractedMemory, Extractor } from './spec/extractor.js';
export type { DeliveryOutcome, Notification, Notifier } from './spec/notifier.js';
export type { RerankCandidate, Reranker } from './spec/reranker.js';
export type { Storage, StorageCapabilities, TeamRunStorage } from './spec/storage.js';
export { homeTeams, type TeamEntry } from './teams/home-teams.js';
export { parseTeamFile, readTeamFile, type TeamFile } from './teams/team-file.js';
export { flowText, parseFlow, type TeamFlow, teamFlow } from './teams/team-flow.js';
export type {
  NumberedTeamEvent,
  TeamAgent,
  TeamAgentFactory,
  TeamEvent,
} from './teams/team-runner.js';
export { type TeamRunRequest, TeamService } from './teams/team-service.js';
export { tokenize } from './text/tokenizer.js';
