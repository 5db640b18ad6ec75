import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type EngineMemory, memoryTools } from '../agent/providers/engine-tools.js';
import {
  type SessionSearchServices,
  sessionSearchTool,
} from '../agent/tools/session-search-tool.js';
import type { AnyTool, ToolContext } from '../agent/tools/tool.js';
import { invalidInput, MnemosError } from '../core/errors.js';
import { scopeWithDefaults, type TenantKey } from '../core/scope.js';
import { type SkillServices, skillTools } from './skill-tools.js';

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /** Agent id of the memories MCP clients write; default `mcp`. */
  agentId?: string;
  /** Run id of written memories when a call names none in `_meta["mnemos/run_id"]`; default `mcp`. */
  runId?: string;
  /** Memory store; the configured default when omitted. */
  store?: string;
  /** Refuse `memory_remember` and `memory_forget` (a read-only client or key). */
  readOnly?: boolean;
}

/** The `_meta` key a `tools/call` request may use to name the run its writes belong to. */
export const runIdMetaKey = 'mnemos/run_id';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const instructions =
  "Mnemos is the user's long-term memory. Search it (memory_search, session_search) before answering anything that may depend on what the user said before; store lasting facts and preferences with memory_remember. The user's skills (skills_list, skill_view) describe how to do recurring tasks.";

/**
 * An MCP server exposing Mnemos' memory tools (`memory_search`, `memory_remember`, `memory_list`,
 * `memory_forget`, `memory_profile`), `session_search`, built from the same tool definitions the
 * agent uses, and the read-only skill tools `skills_list` and `skill_view`. Every call acts inside `tenant()`: writes go to the exact scope (tenant, agent `mcp`,
 * run `mcp` or the call's `_meta["mnemos/run_id"]`), reads cover all agents and runs of the tenant.
 */
export function createMcpServer(
  mnemos: EngineMemory & SessionSearchServices & SkillServices,
  tenant: () => TenantKey,
  options: McpServerOptions = {},
): McpServer {
  const server = new McpServer({ name: 'mnemos', version }, { instructions });
  const tools = [
    ...memoryTools(mnemos, {
      tenant: () => pickTenant(tenant()),
      write: (context) =>
        scopeWithDefaults('write', undefined, {
          ...pickTenant(tenant()),
          agentId: options.agentId ?? 'mcp',
          runId: context.sessionId,
        }),
      canWrite: () => (options.readOnly ? 'memory writes are off for this MCP client' : true),
      store: options.store,
    }),
    sessionSearchTool(mnemos, () => pickTenant(tenant())),
    ...skillTools(mnemos, () => pickTenant(tenant())),
  ];
  for (const tool of tools) register(server, tool, options.runId ?? 'mcp');
  return server;
}

/** Registers one agent tool: its zod schema becomes the MCP input schema and validates the call. */
function register(server: McpServer, tool: AnyTool, defaultRunId: string): void {
  server.registerTool(
    tool.name,
    { description: tool.description, inputSchema: tool.schema },
    async (args, extra): Promise<CallToolResult> => {
      try {
        const context: ToolContext = {
          signal: extra.signal,
          sessionId: runIdOf(extra._meta, defaultRunId),
          workspace: process.cwd(),
        };
        return toolResult(await tool.execute(args, context));
      } catch (error) {
        return errorResult(error);
      }
    },
  );
}

/** The run named by the call's `_meta`, else the server's default. */
function runIdOf(meta: Record<string, unknown> | undefined, fallback: string): string {
  const value = meta?.[runIdMetaKey];
  if (value === undefined) return fallback;
  if (typeof value !== 'string')
    throw invalidInput(`_meta.${runIdMetaKey} must be a string`, { field: runIdMetaKey });
  return value;
}

/** A tool's value as MCP content: JSON text, and the object itself as `structuredContent`. */
export function toolResult(value: unknown): CallToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const structured =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { structuredContent: value as Record<string, unknown> }
      : {};
  return { content: [{ type: 'text', text }], ...structured };
}

/** A failed call as an MCP tool error holding `{error: {code, message, details}}`, like the CLI's. */
export function errorResult(error: unknown): CallToolResult {
  const body = MnemosError.isInstance(error)
    ? error.toJSON()
    : { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: body }) }] };
}

function pickTenant(key: TenantKey): TenantKey {
  return { appId: key.appId, tenantId: key.tenantId };
}
