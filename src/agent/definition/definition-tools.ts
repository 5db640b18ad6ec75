import type { AgentToolEntry, OpenApiToolConfig } from '../../core/agent-definition.js';
import { mcpToolset } from '../tools/mcp/mcp-tool-name.js';

/** What an agent definition's `tools` ask for, sorted by where each comes from. */
export interface DefinitionTools {
  /** Toolsets to offer: built-in ones, `memory`, `skills`, …, `mcp_<server>`, `openapi_<name>`. */
  toolsets: string[];
  /** Toolsets of which only some tools were named (`web_fetch` of `web`): toolset → tool names. */
  onlyTools: Map<string, Set<string>>;
  /** OpenAPI documents to turn into tools. */
  openapi: OpenApiToolConfig[];
  /** Tools or toolsets whose results are reused, with the time to live in ms. */
  cacheTtlMs: Map<string, number>;
}

/**
 * Sorts the `tools` of a definition. A bare name (or `type: builtin`) is a toolset when one has
 * that name, else a single built-in tool looked up in `toolsetOf` (tool name → its toolset); names
 * neither knows are kept as toolsets, so the caller's check reports them with the known ones.
 */
export function definitionTools(
  entries: readonly AgentToolEntry[],
  toolsetOf: ReadonlyMap<string, string>,
): DefinitionTools {
  const toolsets = new Set<string>();
  const whole = new Set<string>();
  const onlyTools = new Map<string, Set<string>>();
  const openapi: OpenApiToolConfig[] = [];
  const cacheTtlMs = new Map<string, number>();
  const knownToolsets = new Set(toolsetOf.values());
  for (const entry of entries) {
    if (typeof entry !== 'string' && entry.type === 'openapi') {
      openapi.push(entry);
      toolsets.add(`openapi_${entry.name}`);
      if (entry.cache_ttl_seconds > 0) {
        cacheTtlMs.set(`openapi_${entry.name}`, entry.cache_ttl_seconds * 1_000);
      }
      continue;
    }
    if (typeof entry !== 'string' && entry.type === 'mcp') {
      toolsets.add(mcpToolset(entry.server));
      continue;
    }
    const name = typeof entry === 'string' ? entry : entry.name;
    const ttl = typeof entry === 'string' ? 0 : entry.cache_ttl_seconds;
    if (ttl > 0) cacheTtlMs.set(name, ttl * 1_000);
    const toolset = knownToolsets.has(name) ? undefined : toolsetOf.get(name);
    if (!toolset) {
      toolsets.add(name);
      whole.add(name);
      onlyTools.delete(name);
      continue;
    }
    toolsets.add(toolset);
    if (whole.has(toolset)) continue;
    const only = onlyTools.get(toolset) ?? new Set<string>();
    only.add(name);
    onlyTools.set(toolset, only);
  }
  return { toolsets: [...toolsets], onlyTools, openapi, cacheTtlMs };
}
