import { createHash } from 'node:crypto';
import type { OpenApiToolConfig } from '../../../core/agent-definition.js';
import { MnemosError } from '../../../core/errors.js';
import type { AnyTool, ToolContext } from '../tool.js';
import { cachedTool, stableJson, type ToolResultCache } from '../tool-cache.js';
import { webAddressPolicy } from '../web-address-policy.js';
import {
  callOpenApiOperation,
  type OpenApiCallOptions,
  type OpenApiCallResult,
  openApiBaseUrl,
} from './openapi-call.js';
import { loadOpenApiDocument } from './openapi-document.js';
import type { OpenApiAddressRules } from './openapi-fetch.js';
import { type OpenApiOperation, openApiOperations, openApiToolset } from './openapi-operations.js';

/** What the OpenAPI tools of an agent read and may reach. */
export interface OpenApiToolSourceOptions {
  /** Folder `spec_file` is relative to: the definition's. */
  baseDir: string;
  /** Where auth secrets are read at each call (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Hosts, IP literals or CIDR ranges reachable although not public (as `agent.web.allow_hosts`). */
  allowHosts?: readonly string[];
  /** Setting a refused address tells the user to change (default `agent.web.allow_hosts`). */
  allowHostsSetting?: string;
  /** Non-fatal problems: a document that did not load, an operation left out. */
  warn?: (message: string) => void;
  /** Where results of GET operations with `cache_ttl_seconds` are kept. */
  cache?: ToolResultCache;
  /** Who the cached results belong to (a tenant and agent); required with `cache`. */
  cacheScope?: string;
}

/** Tools of OpenAPI documents, loaded on first use (the shape of the agent's tool source). */
export interface OpenApiToolSource {
  tools(): Promise<AnyTool[]>;
  close(): Promise<void>;
}

/**
 * The tool source of an agent's `openapi` tool entries, or null when there are none. `tools()`
 * loads every document in parallel on first use and keeps the result; a document that fails is
 * reported through `warn` and gives no tools, never blocking the others.
 *
 * @example
 * const source = openApiToolSource(entries, { baseDir, allowHosts, cache, cacheScope: tenantId });
 * const tools = (await source?.tools()) ?? []; // shop_get_order, …
 */
export function openApiToolSource(
  configs: OpenApiToolConfig[],
  options: OpenApiToolSourceOptions,
): OpenApiToolSource | null {
  if (configs.length === 0) return null;
  if (options.cache && options.cacheScope === undefined) {
    throw new MnemosError(
      'internal_error',
      'openApiToolSource: a cache needs a cacheScope, so results of different tenants are never shared',
    );
  }
  let loaded: Promise<AnyTool[]> | null = null;
  const loadAll = async (): Promise<AnyTool[]> => {
    const lists = await Promise.all(
      configs.map((config) =>
        openApiTools(config, options).catch((error: unknown) => {
          options.warn?.(
            `${error instanceof Error ? error.message : String(error)}; its tools are not offered`,
          );
          return [];
        }),
      ),
    );
    const taken = new Set<string>();
    return lists.flat().filter((tool) => {
      if (!taken.has(tool.name)) return taken.add(tool.name);
      options.warn?.(
        `openapi tool ${tool.toolset}: a second tool named ${tool.name} is not offered; give the entries different names`,
      );
      return false;
    });
  };
  return {
    tools: () => {
      loaded ??= loadAll();
      return loaded;
    },
    close: async () => {},
  };
}

/** The tools of one `openapi` entry: its document loaded, one tool per offered operation. */
export async function openApiTools(
  config: OpenApiToolConfig,
  options: OpenApiToolSourceOptions,
): Promise<AnyTool[]> {
  const rules: OpenApiAddressRules = {
    policy: webAddressPolicy(options.allowHosts),
    allowSetting: options.allowHostsSetting ?? 'agent.web.allow_hosts',
  };
  const document = await loadOpenApiDocument(config, options.baseDir, rules);
  const callOptions: OpenApiCallOptions = {
    config,
    baseUrl: openApiBaseUrl(config, document),
    env: options.env ?? process.env,
    rules,
  };
  const operations = openApiOperations(document.document, config, options.warn);
  // The entry's settings are part of the scope: two entries of one name with other addresses or secrets never share.
  const entry = createHash('sha256').update(stableJson(config)).digest('hex').slice(0, 16);
  const scope = `${options.cacheScope ?? ''}\u0000openapi:${entry}`;
  return operations.map((operation) => {
    const tool = operationTool(operation, config, callOptions);
    if (operation.method !== 'GET' || config.cache_ttl_seconds <= 0 || !options.cache) return tool;
    return cachedTool(
      tool,
      config.cache_ttl_seconds * 1000,
      options.cache,
      scope,
      (result) => (result as OpenApiCallResult).ok,
    );
  });
}

function operationTool(
  operation: OpenApiOperation,
  config: OpenApiToolConfig,
  callOptions: OpenApiCallOptions,
): AnyTool {
  return {
    name: operation.toolName,
    description: operation.description,
    toolset: openApiToolset(config.name),
    schema: operation.schema,
    execute: (args: Record<string, unknown>, context: ToolContext) =>
      callOpenApiOperation(operation, args, callOptions, context.signal),
  };
}
