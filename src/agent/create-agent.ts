import { dirname, resolve } from 'node:path';
import { checkTenantReach } from '../agents/tenant-definition-policy.js';
import type { MnemosConfig } from '../config/config.js';
import { type ProviderId, providerIds } from '../config/provider-ids.js';
import type {
  AgentDefinition,
  AgentDefinitionRecord,
  DefinitionOrigin,
  OpenApiToolConfig,
} from '../core/agent-definition.js';
import type { ChainedModel } from '../core/agent-events.js';
import { MnemosError } from '../core/errors.js';
import type { CronService } from '../cron/cron-service.js';
import { createChatClient } from '../models/llm/create-chat-client.js';
import {
  NO_CHAT_MODEL_ADVICE,
  type ResolvedChatModel,
  resolveChatModel,
} from '../models/llm/resolve-chat-model.js';
import type { SkillService } from '../skills/skill-service.js';
import { Agent } from './agent.js';
import { definitionModels, resolveDefinitionModel } from './definition/definition-models.js';
import { type DefinitionTools, definitionTools } from './definition/definition-tools.js';
import { delegateTool } from './delegation/delegate-tool.js';
import { type ModelBreaker, sharedBreaker } from './loop/model-breaker.js';
import type { QuotaGuard } from './loop/quota-guard.js';
import { CuratedNotesProvider } from './notes/curated-notes-provider.js';
import { EngineMemoryProvider } from './providers/engine-provider.js';
import type { EngineMemory } from './providers/engine-tools.js';
import { MemoryManager } from './providers/memory-manager.js';
import type { AgentContext, MemoryProvider } from './providers/memory-provider.js';
import { RemoteMemoryProvider } from './providers/remote-provider.js';
import { AgentSkills } from './skills/agent-skills.js';
import { bubblewrapSandbox, sandboxWorkspace } from './tools/bubblewrap-sandbox.js';
import { builtinTools, selectToolsets } from './tools/builtin-tools.js';
import { cronjobTool } from './tools/cronjob-tool.js';
import { mcpServersForSurface, mcpToolsets } from './tools/mcp/mcp-servers-for-surface.js';
import { mcpToolset } from './tools/mcp/mcp-tool-name.js';
import { mcpToolSource } from './tools/mcp/mcp-tool-source.js';
import type {
  OpenApiToolSource,
  OpenApiToolSourceOptions,
} from './tools/openapi/openapi-tool-source.js';
import { type SessionSearchServices, sessionSearchTool } from './tools/session-search-tool.js';
import { type AgentSurface, confinedToolsets, surfaceToolsets } from './tools/surface-toolsets.js';
import { createTenantWorkspace, tenantWorkspacePath } from './tools/tenant-workspace.js';
import { TodoStore } from './tools/todo-tool.js';
import type { AnyTool } from './tools/tool.js';
import { cachedTool, ToolResultCache } from './tools/tool-cache.js';
import { joinToolSources, type ToolSource } from './tools/tool-sources.js';

/** Results of cacheable tools, shared by every agent of the process (keys carry the tenant). */
const toolResultCache = new ToolResultCache();

/** Whose cached tool results these are: one (app, tenant, agent). */
function cacheScope(appId: string, userId: string, agentName: string): string {
  return `${appId}\u0000${userId}\u0000${agentName}`;
}

/** The OpenAPI tool source, its modules loaded on first use (a chat without OpenAPI tools skips them). */
function lazyOpenApiSource(
  configs: OpenApiToolConfig[],
  options: OpenApiToolSourceOptions,
): ToolSource {
  let source: Promise<OpenApiToolSource | null> | null = null;
  const load = (): Promise<OpenApiToolSource | null> => {
    source ??= import('./tools/openapi/openapi-tool-source.js').then((module) =>
      module.openApiToolSource(configs, options),
    );
    return source;
  };
  return {
    tools: async () => (await (await load())?.tools()) ?? [],
    close: async () => {
      if (source) await (await source)?.close();
    },
  };
}

/** What an agent uses of the engine: its home and settings, sessions, memories, profiles and skills. */
export interface AgentEngine extends EngineMemory, SessionSearchServices {
  home: string;
  config: MnemosConfig;
  skills: SkillService;
  /** Scheduled jobs, for the `cronjob` tool (toolset `cron`); absent: no such tool. */
  cron?: CronService;
  /** Token quotas (`agent.quotas`): every agent built here is held to its user's. */
  usage?: {
    readonly limited: boolean;
    guard(tenant: { appId: string; tenantId: string }): QuotaGuard;
  };
}

/** The options that run an agent of the catalog: its name, definition, origin and folder. */
export function definitionOptions(
  record: AgentDefinitionRecord,
): Pick<CreateAgentOptions, 'agentName' | 'definition' | 'definitionOrigin' | 'definitionDir'> {
  return {
    agentName: record.definition.name,
    definition: record.definition,
    definitionOrigin: record.origin,
    // A tenant's definition names no files; a home one's paths start at its folder.
    ...(record.path ? { definitionDir: dirname(record.path) } : {}),
  };
}

/** Who the agent serves and how it is run; everything else comes from the configuration. */
export interface CreateAgentOptions {
  /** The engine (an open `Mnemos`). */
  mnemos: AgentEngine;
  /** Application of sessions and memories; default config `app_id`. */
  appId?: string;
  /** Folder of the curated notes; default `<home>/memories` (give each tenant its own on a server). */
  notesDir?: string;
  /** The user (tenant); default config `tenant_id`. */
  userId?: string;
  /** Profile / agent name; default config `agent_id`. */
  agentName?: string;
  /** `cli`, `http`, … */
  platform?: string;
  /**
   * Where the turn comes from (default `local`, trusted). On an untrusted surface the toolsets come
   * from `agent.surfaces.<surface>`, file and terminal tools work in the (app, tenant)'s own
   * workspace under the home, and commands run in the bubblewrap sandbox.
   */
  surface?: AgentSurface;
  agentContext?: AgentContext;
  /** Providers beyond the built-in curated notes and the Mnemos engine (remote services, …). */
  extraProviders?: MemoryProvider[];
  /** Asks the person to allow a dangerous command; absent when nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
  /** Todo lists, shared with whatever shows them. */
  todos?: TodoStore;
  /** Warnings and debug lines of memory providers. */
  log?: (level: 'warn' | 'debug', message: string) => void;
  /** The model chain to use instead of the configured one (benchmarks, embedding hosts). */
  models?: ChainedModel[];
  /** Skills loaded into every session's prompt, beyond `agent.skills.preload` (`mnemos chat -s`). */
  preloadSkills?: string[];
  /** Lines about work done after turns (the skills review), for whoever shows them. */
  notify?: (message: string) => void;
  /**
   * An agent definition (`agents/<name>.yaml`, or a tenant's): its model, identity, tools, memory,
   * skills and limits replace the configured ones; the agent's name is the definition's.
   */
  definition?: AgentDefinition;
  /** Folder the definition's relative paths (an OpenAPI `spec_file`) start from; default the home. */
  definitionDir?: string;
  /**
   * Who wrote the definition: `home` (the operator's files, default) or `tenant` (stored over HTTP).
   * On an untrusted surface a home definition's tools are offered as declared, except `file` and
   * `terminal`, which the surface must also allow; a tenant's only where the surface allows them.
   */
  definitionOrigin?: DefinitionOrigin;
  /** Toolsets instead of the surface's (a delegated child: a subset of its parent's). */
  toolsets?: string[];
  /**
   * `false`: no memory at all (a delegated child): no curated notes, no long-term recall or sync,
   * no memory tools, no skills review; nothing the agent does is remembered. `read`: notes and
   * recall as usual, but nothing written (no turn sync, no memory tools, no skills review): a cron
   * run that must not change what the agent remembers.
   */
  memory?: false | 'read';
  /** Toolsets never offered, whatever the surface or definition says (`cron` inside cron runs). */
  withoutToolsets?: string[];
  /** Token quotas of the user; default the engine's `agent.quotas` for (app, user), if any is set. */
  quota?: QuotaGuard;
  /** Circuit breakers of the models; default the process-wide one of `agent.breaker`. */
  breaker?: ModelBreaker;
}

/**
 * An agent built from the Mnemos configuration: the chat model and its fallbacks, the selected
 * toolsets, and memory from the curated notes, the Mnemos engine and any extra providers.
 */
export function createAgent(options: CreateAgentOptions): Agent {
  const { mnemos } = options;
  const config = mnemos.config;
  const agent = config.agent;
  const definition = options.definition;
  // A tenant's definition never points the server's model key or files elsewhere, wherever it runs.
  if (definition && options.definitionOrigin === 'tenant') {
    checkTenantReach(definition, `agent ${definition.name}`);
  }
  const models =
    options.models ??
    (definition?.llm
      ? definitionModels(
          config,
          definition.llm,
          (section, field) => toChained(resolveDefinitionModel(section, field), config),
          () => chainedModels(mnemos).slice(1),
        )
      : chainedModels(mnemos));
  const todos = options.todos ?? new TodoStore();
  const surface = options.surface ?? 'local';
  const agentName = options.agentName ?? definition?.name ?? config.agent_id;
  const userId = options.userId ?? config.tenant_id;
  const appId = options.appId ?? config.app_id;
  const confined = surface !== 'local';
  // Server as root: sandboxed commands run as an unprivileged user, who must own the workspace.
  const owner =
    confined && process.getuid?.() === 0
      ? { uid: agent.sandbox.uid, gid: agent.sandbox.gid }
      : undefined;
  const workspace = confined
    ? tenantWorkspacePath(mnemos.home, appId, userId)
    : resolve(agent.workspace ?? process.cwd());
  const quota =
    options.quota ??
    (mnemos.usage?.limited ? mnemos.usage.guard({ appId, tenantId: userId }) : undefined);
  const core: AnyTool[] = [];
  const resultScope = cacheScope(appId, userId, agentName);
  const builtin = builtinTools({
    terminal: {
      allow: agent.terminal.allow,
      deny: agent.terminal.deny,
      confirmDangerous: agent.terminal.confirm_dangerous,
      timeoutMs: agent.terminal.timeout_ms,
      ...(confined ? { sandbox: bubblewrapSandbox(agent.sandbox) } : {}),
    },
    todo: todos,
    file: confined ? { mountPoint: sandboxWorkspace, ...(owner ? { owner } : {}) } : {},
    web: { allowHosts: agent.web.allow_hosts },
  });
  const declared = definition?.tools
    ? definitionTools(definition.tools, new Map(builtin.map((tool) => [tool.name, tool.toolset])))
    : null;
  const withheldSets = new Set(options.withoutToolsets ?? []);
  if (options.memory === 'read') withheldSets.add('memory');
  const toolsets = (
    options.toolsets ??
    offeredToolsets(
      surfaceToolsets(agent, surface, agentName),
      declared,
      surface,
      options.definitionOrigin ?? 'home',
    )
  ).filter((name) => !withheldSets.has(name));
  const wanted = new Set(toolsets);
  if (confined && toolsets.some((name) => confinedToolsets.includes(name))) {
    createTenantWorkspace(workspace, owner);
  }
  if (wanted.has('session_search')) {
    core.push(sessionSearchTool(mnemos, () => ({ appId, tenantId: userId })));
  }
  if (wanted.has('cron') && mnemos.cron) {
    const tenant = { appId, tenantId: userId };
    core.push(cronjobTool(mnemos.cron, { tenant: () => tenant, origin: surface }));
  }
  const builtinNames = toolsets.filter((name) => builtin.some((tool) => tool.toolset === name));
  const mcpNames = mcpToolsets(config);
  const unknown = toolsets.filter(
    (name) =>
      name !== 'memory' &&
      name !== 'session_search' &&
      name !== 'cron' &&
      name !== 'skills' &&
      name !== 'delegation' &&
      !mcpNames.includes(name) &&
      !builtinNames.includes(name) &&
      !declared?.openapi.some((tool) => name === `openapi_${tool.name}`),
  );
  if (unknown.length > 0) {
    try {
      selectToolsets(builtin, unknown);
    } catch (error) {
      if (!definition || !MnemosError.isInstance(error)) throw error;
      throw new MnemosError('config_error', `agent ${definition.name}: tools: ${error.message}`);
    }
  }
  core.unshift(
    ...selectToolsets(builtin, builtinNames)
      .filter((tool) => declared?.onlyTools.get(tool.toolset)?.has(tool.name) ?? true)
      .map((tool) => {
        const ttl = declared?.cacheTtlMs.get(tool.name) ?? declared?.cacheTtlMs.get(tool.toolset);
        return ttl ? cachedTool(tool, ttl, toolResultCache, resultScope) : tool;
      }),
  );
  const withheld = new Map<string, string>();
  if (confined) {
    for (const tool of builtin) {
      if (confinedToolsets.includes(tool.toolset) && !wanted.has(tool.toolset)) {
        withheld.set(
          tool.name,
          `${tool.name} is not available on ${surface} turns: the server's configuration does not enable the ${tool.toolset} toolset for agent ${agentName} (agent.surfaces.${surface})`,
        );
      }
    }
  }
  let manager: MemoryManager | null = null;
  const curated: CuratedNotesProvider = new CuratedNotesProvider({
    ...(options.notesDir ? { dir: options.notesDir } : {}),
    memoryLimit: agent.notes.memory_limit,
    userLimit: agent.notes.user_limit,
    onWrite: async (write): Promise<void> => {
      await manager?.onMemoryWrite(write, curated);
    },
  });
  const memory = definition?.memory;
  const providers: MemoryProvider[] =
    options.memory === false
      ? []
      : [
          ...(memory?.notes === false ? [] : [curated]),
          ...(memory?.enabled === false
            ? []
            : [longTermMemory(mnemos, appId, options.log, memory?.recall_top_k)]),
          ...(options.extraProviders ?? []),
        ];
  const offered =
    options.memory === 'read'
      ? providers.map(readOnly)
      : wanted.has('memory')
        ? providers
        : providers.map(withoutTools);
  manager = new MemoryManager(offered, {
    prefetchBudgetMs: agent.prefetch_budget_ms,
    ...(options.log ? { log: options.log } : {}),
  });
  const skillSettings = agent.skills;
  const reviewOn = confined ? skillSettings.review.http : skillSettings.review.local;
  const skills = new AgentSkills({
    manager: confined
      ? mnemos.skills.forTenant({ appId, tenantId: userId })
      : mnemos.skills.local({ workspace: skillSettings.project ? workspace : undefined }),
    tools: wanted.has('skills'),
    canManage: wanted.has('skills'),
    preload: [
      ...new Set([
        ...skillSettings.preload,
        ...(definition?.skills ?? []),
        ...(options.preloadSkills ?? []),
      ]),
    ],
    review:
      reviewOn &&
      options.memory === undefined &&
      wanted.has('skills') &&
      skillSettings.review.interval > 0
        ? {
            interval: skillSettings.review.interval,
            maxIterations: skillSettings.review.max_iterations,
          }
        : null,
    archiveAfterDays: skillSettings.archive_after_days,
    models: () => built.models,
    workspace,
    ...(options.notify ? { notify: options.notify } : {}),
  });
  const mcpSource = mcpToolSource({
    servers: Object.fromEntries(
      Object.entries(mcpServersForSurface(config, surface, toolsets)).filter(
        // A definition's tools are the whole list: locally too, only the servers it names.
        ([name]) => !declared || wanted.has(mcpToolset(name)),
      ),
    ),
    home: mnemos.home,
    ...(options.log ? { warn: (message: string) => options.log?.('warn', message) } : {}),
  });
  const openapi = (declared?.openapi ?? []).filter((entry) => wanted.has(`openapi_${entry.name}`));
  const toolSource = joinToolSources([
    mcpSource,
    openapi.length > 0
      ? lazyOpenApiSource(openapi, {
          baseDir: options.definitionDir ?? mnemos.home,
          allowHosts: agent.web.allow_hosts,
          cache: toolResultCache,
          cacheScope: resultScope,
          ...(options.log ? { warn: (message: string) => options.log?.('warn', message) } : {}),
        })
      : null,
  ]);
  // Delegation: `delegate_task` runs tasks in children built like this agent, with a subset of its
  // toolsets (never `delegation`, so children cannot delegate) and memory off.
  if (wanted.has('delegation')) {
    const parentMemory = manager;
    const limits = agent.delegation;
    core.push(
      delegateTool({
        limits: {
          maxConcurrent: limits.max_concurrent,
          timeoutMs: limits.timeout_ms,
          maxIterations: limits.max_iterations,
          maxIterationsTotal: limits.max_iterations_total,
          maxTokensTotal: limits.max_tokens_total,
        },
        toolsets,
        memory: () => parentMemory,
        spawnChild: (childToolsets) =>
          createAgent({
            mnemos,
            appId,
            userId,
            agentName,
            platform: options.platform ?? 'cli',
            surface,
            agentContext: 'subagent',
            models: [...built.models],
            toolsets: childToolsets,
            memory: false,
            // The definition brings the identity, limits and declared tools (OpenAPI) a child may use.
            ...(definition
              ? {
                  definition,
                  definitionOrigin: options.definitionOrigin ?? 'home',
                  ...(options.definitionDir ? { definitionDir: options.definitionDir } : {}),
                }
              : {}),
            ...(options.log ? { log: options.log } : {}),
          }),
      }),
    );
  }
  const built: Agent = new Agent({
    sessions: mnemos.sessions,
    models,
    tools: core,
    memory: manager,
    appId,
    userId,
    agentName,
    platform: options.platform ?? 'cli',
    home: mnemos.home,
    workspace,
    maxIterations: definition?.max_iter ?? agent.max_iterations,
    maxTokensPerTurn: definition?.limits.max_tokens_per_turn,
    turnTimeoutMs: definition?.limits.timeout_ms,
    identity: definition?.system_prompt,
    compression: {
      contextWindow: agent.context_window,
      compressAt: agent.compress_at,
      protectLast: agent.protect_last,
    },
    ...(options.agentContext ? { agentContext: options.agentContext } : {}),
    ...(options.confirm ? { confirm: options.confirm } : {}),
    ...(withheld.size > 0 ? { withheld } : {}),
    skills,
    ...(toolSource ? { toolSource } : {}),
    breaker:
      options.breaker ??
      sharedBreaker({
        window: agent.breaker.window,
        failureRate: agent.breaker.failure_rate,
        minCalls: agent.breaker.min_calls,
        cooldownMs: agent.breaker.cooldown_ms,
      }),
    // Every agent of a user counts against the user's quotas: turns, team steps, delegated children.
    ...(quota ? { quota } : {}),
  });
  return built;
}

/**
 * A model named in `/model`: `provider/model` (`dashscope/qwen-plus`, `ollama/qwen2.5:7b`) or a bare
 * model name for the configured provider (`qwen-plus`, `openai/gpt-4.1-mini` on OpenRouter).
 */
export function chainedModelFor(engine: { config: MnemosConfig }, spec: string): ChainedModel {
  const config = engine.config;
  const slash = spec.indexOf('/');
  const prefix = slash > 0 ? spec.slice(0, slash) : '';
  const section = (providerIds as readonly string[]).includes(prefix)
    ? { provider: prefix as ProviderId, model: spec.slice(slash + 1) }
    : { ...config.llm, model: spec };
  const resolution = resolveChatModel({ llm: section }, 'chat');
  if (resolution.status !== 'resolved') {
    throw new MnemosError('invalid_input', `cannot use model ${spec}: ${resolution.reason}`);
  }
  return toChained(resolution.model, config);
}

/**
 * The long-term memory of the agent: the configured Mnemos service (`agent.memory_service`), shared
 * by every agent that uses it, or else the local engine.
 */
function longTermMemory(
  mnemos: AgentEngine,
  appId: string,
  log: CreateAgentOptions['log'],
  recallTopK: number | undefined,
): MemoryProvider {
  const agent = mnemos.config.agent;
  const topK = recallTopK ?? agent.recall_top_k;
  const service = agent.memory_service;
  if (!service) return new EngineMemoryProvider(mnemos, { appId, topK });
  const apiKey = process.env[service.api_key_env];
  if (!apiKey) {
    throw new MnemosError(
      'config_error',
      `agent.memory_service needs an API key in ${service.api_key_env} (environment or .env); create one with \`mnemos keys create\` on the service`,
    );
  }
  return new RemoteMemoryProvider({
    client: { baseUrl: service.url, apiKey },
    topK,
    ...(log ? { log: (level, message) => log(level === 'info' ? 'debug' : 'warn', message) } : {}),
  });
}

/** The chat model and the configured fallbacks, in order; a `config_error` when none resolves. */
export function chainedModels(engine: { config: MnemosConfig }): ChainedModel[] {
  const config = engine.config;
  const primary = resolveChatModel(config, 'chat');
  if (primary.status !== 'resolved') {
    throw new MnemosError(
      'config_error',
      primary.status === 'none'
        ? `the agent needs a chat model: ${NO_CHAT_MODEL_ADVICE}; or run \`mnemos setup\``
        : `chat model configuration is incomplete: ${primary.reason}`,
    );
  }
  const chain = [primary.model];
  for (const [index, section] of config.agent.fallback_models.entries()) {
    const fallback = resolveChatModel({ llm: section }, 'chat');
    if (fallback.status !== 'resolved') {
      throw new MnemosError(
        'config_error',
        `agent.fallback_models.${index}: ${fallback.status === 'none' ? 'set its provider or base_url' : fallback.reason}`,
      );
    }
    chain.push(fallback.model);
  }
  return chain.map((model) => toChained(model, config));
}

function toChained(model: ResolvedChatModel, config: MnemosConfig): ChainedModel {
  return {
    name: `${model.provider}/${model.model}`,
    model: createChatClient(model).languageModel,
    toolProtocol: config.agent.tool_protocol,
    contextWindow: config.agent.context_window,
  };
}

/**
 * The toolsets an agent is offered: the surface's, or a definition's declared ones, which on an
 * untrusted surface are cut to what the surface allows (all of them for a tenant's definition; the
 * machine-reaching `file` and `terminal` for the operator's).
 */
function offeredToolsets(
  surfaceSets: string[],
  declared: DefinitionTools | null,
  surface: AgentSurface,
  origin: DefinitionOrigin,
): string[] {
  if (!declared) return surfaceSets;
  if (surface === 'local') return declared.toolsets;
  const allowed = new Set(surfaceSets);
  return declared.toolsets.filter(
    (name) =>
      allowed.has(name) ||
      (name.startsWith('openapi_') && allowed.has('openapi')) ||
      (origin === 'home' && !confinedToolsets.includes(name)),
  );
}

const hooks = [
  'systemPromptBlock',
  'prefetch',
  'queuePrefetch',
  'syncTurn',
  'onTurnStart',
  'onSessionEnd',
  'onSessionSwitch',
  'onPreCompress',
  'onMemoryWrite',
  'onDelegation',
  'shutdown',
] as const;

/** Hooks of a provider that only read: recall and the prompt block, never a write. */
const readHooks = [
  'systemPromptBlock',
  'prefetch',
  'queuePrefetch',
  'onTurnStart',
  'onSessionSwitch',
  'shutdown',
] as const;

/** A provider that recalls but never writes: no tools, no turn sync, no end-of-session extraction. */
function readOnly(provider: MemoryProvider): MemoryProvider {
  return withHooks(provider, readHooks);
}

/** A provider as it is, minus its tools (when the `memory` toolset is off). */
function withoutTools(provider: MemoryProvider): MemoryProvider {
  return withHooks(provider, hooks);
}

/** A provider that offers only the given hooks of `provider` (and no tools). */
function withHooks(
  provider: MemoryProvider,
  kept: ReadonlyArray<(typeof hooks)[number]>,
): MemoryProvider {
  const wrapped: MemoryProvider = {
    name: provider.name,
    initialize: (session) => provider.initialize(session),
  };
  for (const hook of kept) {
    const method = provider[hook] as ((...args: unknown[]) => unknown) | undefined;
    if (method) (wrapped as unknown as Record<string, unknown>)[hook] = method.bind(provider);
  }
  return wrapped;
}
