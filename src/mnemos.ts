import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentService } from './agents/agent-service.js';
import {
  loadConfig,
  loadDotenv,
  type MnemosConfig,
  readEffectiveConfig,
  resolveHome,
  validateConfig,
} from './config/config.js';
import { MnemosError } from './core/errors.js';
import { CronService } from './cron/cron-service.js';
import { type DoctorReport, doctor } from './doctor.js';
import { JobRunner } from './jobs/job-runner.js';
import { KeyService } from './keys/key-service.js';
import { ingestJobHandler } from './memory/ingest/ingest-job-handler.js';
import { IngestPipeline } from './memory/ingest/ingest-pipeline.js';
import { PassthroughExtractor } from './memory/ingest/passthrough-extractor.js';
import { MemoryService } from './memory/memory-service.js';
import { AccessTracker } from './memory/retrieve/access-tracker.js';
import { HybridSearch } from './memory/retrieve/hybrid-search.js';
import { VectorSearch } from './memory/retrieve/vector-search.js';
import { StoreService } from './memory/stores/store-service.js';
import { MessagingService } from './messaging/messaging-service.js';
import {
  createEmbedder,
  createLlmModels,
  createReranker,
  type ExtractionPlan,
  planExtraction,
} from './models/create-models.js';
import { ProfileService } from './profile/profile-service.js';
import { Redactor } from './redaction/redactor.js';
import { SessionService } from './sessions/session-service.js';
import { SkillService } from './skills/skill-service.js';
import type { Embedder } from './spec/embedder.js';
import type { Extractor } from './spec/extractor.js';
import type { Reranker } from './spec/reranker.js';
import type { Storage, StorageStatistics } from './spec/storage.js';
import { chooseStorage } from './storage/choose-storage.js';
import { openStorage } from './storage/open-storage.js';
import { TeamService } from './teams/team-service.js';
import { UsageService } from './usage/usage-service.js';

/** Options of `Mnemos.open`; everything defaults from the home's `config.yaml`. */
export interface MnemosOptions {
  /** Home folder; `MNEMOS_HOME` or `~/.mnemos` when omitted. */
  home?: string;
  /** Settings overriding `config.yaml`, same keys. */
  config?: Record<string, unknown>;
  /** Embedder instead of the configured one. */
  embedder?: Embedder;
  /** Extractor instead of the configured one (the LLM extractor when a chat model resolves, else passthrough). */
  extractor?: Extractor;
  /** Reranker; none by default. */
  reranker?: Reranker;
  /** Storage instead of the configured one (the home's SQLite file, or PostgreSQL from `MNEMOS_DATABASE_URL`). */
  storage?: Storage;
  /** Open an existing database without writing anything and without processing jobs (for `doctor`). */
  readOnly?: boolean;
  /** Process queued jobs in this process (default true). */
  processJobs?: boolean;
  /** Also look for queued jobs every this many ms (long-running servers sharing a database). */
  pollJobsMs?: number;
}

/**
 * The Mnemos memory engine: stores, long-term memories and session history over one storage.
 * @example
 * const mnemos = await Mnemos.open({ home: '/tmp/mnemos' });
 * await mnemos.memories.add({ scope: { appId: 'app', tenantId: 'u1' }, text: 'Prefers TypeScript', sync: true });
 * const { results } = await mnemos.memories.search({ scope: { appId: 'app', tenantId: 'u1' }, query: 'language' });
 * await mnemos.close();
 */
export class Mnemos {
  /** Memory store management. */
  readonly stores: StoreService;
  /** Long-term memories. */
  readonly memories: MemoryService;
  /** Session history. */
  readonly sessions: SessionService;
  /** The user profile of each (app, tenant). */
  readonly profile: ProfileService;
  /** API keys and the audit trail of the HTTP service. */
  readonly keys: KeyService;
  /** Skills: a tenant's in the database, or the home's and the project's. */
  readonly skills: SkillService;
  /** Tokens agent turns used, and the token quotas (`agent.quotas`) over them. */
  readonly usage: UsageService;
  /** Teams of the home and their stored runs. */
  readonly teams: TeamService;
  /** Agents as configuration: the home's `agents/*.yaml`, and each tenant's in the database. */
  readonly agents: AgentService;
  /** Scheduled jobs of each (app, tenant) and their runs. */
  readonly cron: CronService;
  /** Who may talk to the agent through the messaging gateway, as which tenant; chat bindings. */
  readonly messaging: MessagingService;

  private constructor(
    readonly home: string,
    readonly config: MnemosConfig,
    readonly storage: Storage,
    readonly embedder: Embedder,
    /** How ingestion extracts memories here, and why (passthrough carries a user-facing reason). */
    readonly extraction: ExtractionPlan,
    private readonly runner: JobRunner | null,
    private readonly vectors: VectorSearch,
    private readonly access: AccessTracker,
    services: {
      stores: StoreService;
      memories: MemoryService;
      sessions: SessionService;
      profile: ProfileService;
      keys: KeyService;
      skills: SkillService;
      usage: UsageService;
      teams: TeamService;
      agents: AgentService;
      cron: CronService;
      messaging: MessagingService;
    },
  ) {
    this.stores = services.stores;
    this.memories = services.memories;
    this.sessions = services.sessions;
    this.profile = services.profile;
    this.keys = services.keys;
    this.skills = services.skills;
    this.usage = services.usage;
    this.teams = services.teams;
    this.agents = services.agents;
    this.cron = services.cron;
    this.messaging = services.messaging;
  }

  /** Opens the engine on a home folder, resuming any queued ingestion jobs. */
  static async open(options: MnemosOptions = {}): Promise<Mnemos> {
    const home = resolveHome(options.home);
    loadDotenv(home);
    const config = options.config
      ? validateConfig(deepMerge(readEffectiveConfig(home), options.config), 'options.config')
      : loadConfig(home);
    // MNEMOS_DATABASE_URL (or `storage: postgres`) selects PostgreSQL, else the home's SQLite file.
    const backend = options.storage ? null : chooseStorage(config, home);
    const databasePath = join(home, 'mnemos.db');
    if (options.readOnly && backend?.kind === 'sqlite' && !existsSync(databasePath)) {
      throw new MnemosError(
        'storage_error',
        `no Mnemos database at ${databasePath}; add a memory or create a store first`,
        {
          category: 'system',
          details: { path: databasePath },
        },
      );
    }
    // Models first: a probe that fails must not leave storage open.
    const embedder = options.embedder ?? (await createEmbedder(config.embedder));
    const reranker = options.reranker ?? (await createReranker(config));
    // One chat client shared by the LLM extractor and reconciler; none (passthrough) without a model.
    const extraction: ExtractionPlan = options.extractor
      ? { mode: 'passthrough', reason: 'an extractor was given to Mnemos.open', notice: false }
      : planExtraction(config);
    const llm = options.extractor ? null : await createLlmModels(extraction);
    if (!options.readOnly) mkdirSync(home, { recursive: true });
    const storage =
      options.storage ??
      (await openStorage(backend ?? { kind: 'sqlite', path: databasePath }, {
        readOnly: options.readOnly ?? false,
      }));
    const vectors = new VectorSearch(storage, {
      hnswThreshold: config.retrieval.hnsw_threshold,
      indexDirectory: options.readOnly ? null : join(home, 'indexes'),
    });
    const access = new AccessTracker(storage, 2_000, !options.readOnly);
    const retrieval = config.retrieval;
    const search = new HybridSearch(storage, embedder, vectors, reranker, access, {
      rrfK: retrieval.rrf_k,
      keywordWeight: retrieval.keyword_weight,
      vectorWeight: retrieval.vector_weight ?? embedder.fusionWeight,
      candidateMultiplier: retrieval.candidate_multiplier,
      minCandidates: retrieval.min_candidates,
      minVectorSimilarity: retrieval.min_vector_similarity,
      recencyWeight: retrieval.recency_weight,
      recencyHalfLifeDays: retrieval.recency_half_life_days,
      accessWeight: retrieval.access_weight,
      salienceWeight: retrieval.salience_weight,
    });
    const stores = new StoreService(
      storage,
      embedder,
      { name: config.memory_store_name, autoCreate: config.auto_create_store },
      (name) => vectors.forget(name),
    );
    const pipeline = new IngestPipeline(
      storage,
      embedder,
      options.extractor ??
        llm?.extractor ??
        new PassthroughExtractor({ maxCharacters: config.ingest.max_unit_characters }),
      vectors,
      {
        ...(config.ingest.near_duplicate_threshold !== undefined
          ? { nearDuplicateThreshold: config.ingest.near_duplicate_threshold }
          : {}),
        maxUnitCharacters: config.ingest.max_unit_characters,
        extractNotes: llm !== null,
      },
      llm?.reconciler ?? null,
    );
    const runner = new JobRunner(
      storage,
      ingestJobHandler((name) => stores.resolveForWrite(name), pipeline),
      {
        batchSize: config.ingest.batch_size,
        leaseMs: config.ingest.lease_ms,
        maxAttempts: config.ingest.max_attempts,
        retryBaseMs: config.ingest.retry_base_ms,
        pollMs: options.readOnly || options.processJobs === false ? undefined : options.pollJobsMs,
      },
    );
    const redactor = new Redactor(config.redaction);
    const memories = new MemoryService(storage, stores, embedder, search, runner, redactor);
    const agents = new AgentService(storage.agents, home, {
      envAllow: config.agent.surfaces.http.env_allow,
    });
    const messaging = new MessagingService(
      storage.gateway,
      config.gateway,
      config.gateway.app_id ?? config.app_id,
    );
    const mnemos = new Mnemos(
      home,
      config,
      storage,
      embedder,
      extraction,
      options.readOnly ? null : runner,
      vectors,
      access,
      {
        stores,
        memories,
        sessions: new SessionService(storage, redactor),
        profile: new ProfileService(storage, redactor),
        keys: new KeyService(storage),
        skills: new SkillService(storage.skills, home),
        usage: new UsageService(storage.usage, {
          perSessionTokens: config.agent.quotas.per_session_tokens,
          perUserDailyTokens: config.agent.quotas.per_user_daily_tokens,
          perUserTokens: config.agent.quotas.per_user_tokens,
        }),
        teams: new TeamService(storage.teamRuns, home, {
          // Members naming an agent start from the tenant's view of the catalog (its own, then the home's).
          resolveAgent: async (scope, name) =>
            (await agents.forTenant(scope).require(name)).definition,
          defaultMaxIter: config.agent.max_iterations,
        }),
        agents,
        cron: new CronService(storage.cron, {
          memoryWrites: config.cron.memory_writes,
          // Tenants' jobs deliver only to the tenant's own chat accounts.
          ownTargets: (tenant) => messaging.addressesOf(tenant),
          untrusted: {
            maxJobs: config.cron.untrusted.max_jobs,
            minIntervalMs: config.cron.untrusted.min_interval_s * 1000,
          },
        }),
        messaging,
      },
    );
    if (!options.readOnly) await mnemos.teams.failInterrupted();
    if (!options.readOnly && options.processJobs !== false) runner.kick();
    return mnemos;
  }

  /** Calls `listener` with the number of jobs after each ingestion batch this process finishes (progress bars). */
  onIngestBatch(listener: (jobs: number) => void): () => void {
    return this.runner?.onBatch(listener) ?? (() => {});
  }

  /** Waits until no queued job can be processed here (tests, imports, CLI exit). */
  async drain(): Promise<void> {
    await this.runner?.idle();
  }

  /** Short name of the storage backend (`sqlite`, `postgres`), for health checks and logs. */
  get storageKind(): string {
    return this.storage.kind;
  }

  /** Whole-database counts for operators' metrics (jobs by state, memories by store, tokens). */
  async statistics(): Promise<StorageStatistics> {
    return this.storage.statistics();
  }

  /** Read-only health check of storage, the configured store and listing. */
  async doctor(): Promise<DoctorReport> {
    return doctor(this);
  }

  /** Finishes the current ingestion batch, flushes access counts, saves indexes and closes storage. */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain) await this.drain();
    await this.runner?.close();
    if (this.runner) {
      // Recall counts are advisory: an unreachable database must not keep storage from closing.
      await this.access.flush().catch(() => {});
      this.vectors.save();
    }
    await this.storage.close();
  }
}

function deepMerge(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}
