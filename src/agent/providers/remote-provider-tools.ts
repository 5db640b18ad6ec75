import type { z } from 'zod';
import type { MnemosClient } from '../../client/mnemos-client.js';
import type { AgentTool, AnyTool } from '../tools/tool.js';
import {
  memoryForgetSchema,
  memoryProfileSchema,
  memoryRememberSchema,
  memorySearchSchema,
  memoryToolDescriptions,
  profileToolResult,
  rememberToolResult,
  requireWrite,
  searchToolResult,
} from './engine-tools.js';

/** How the remote tools write, and how their calls are watched. */
export interface RemoteToolScopes {
  store?: string | undefined;
  /** Agent and run `memory_remember` writes to; app and tenant come from the API key. */
  write(sessionId: string): { agentId: string; runId: string };
  /** Whether writes are allowed: `true`, or why not. */
  canWrite(): true | string;
  /** Runs every HTTP call, so the provider notices the service going down and coming back. */
  run<T>(call: () => Promise<T>): Promise<T>;
}

/**
 * The memory tools of the engine provider (`memory_search`, `memory_remember`, `memory_forget`,
 * `memory_profile`) with the same arguments and results, answered by a Mnemos service over HTTP.
 */
export function remoteMemoryTools(client: MnemosClient, scopes: RemoteToolScopes): AnyTool[] {
  const store = (): { store?: string } => (scopes.store ? { store: scopes.store } : {});

  const search: AgentTool<z.output<typeof memorySearchSchema>> = {
    name: 'memory_search',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_search,
    schema: memorySearchSchema,
    execute: async (args, context) => {
      const { results } = await scopes.run(() =>
        client.memories.search(
          {
            ...store(),
            query: args.query,
            topK: args.top_k,
            ...(args.kinds ? { kinds: args.kinds } : {}),
          },
          { signal: context.signal },
        ),
      );
      return searchToolResult(results);
    },
  };

  const remember: AgentTool<z.output<typeof memoryRememberSchema>> = {
    name: 'memory_remember',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_remember,
    schema: memoryRememberSchema,
    execute: async (args, context) => {
      requireWrite(scopes.canWrite());
      const job = await scopes.run(() =>
        client.memories.add(
          {
            ...store(),
            scope: scopes.write(context.sessionId),
            text: args.content,
            sync: args.sync,
            ...(args.kind ? { kind: args.kind } : {}),
            metadata: { source: 'memory_remember' },
          },
          { signal: context.signal },
        ),
      );
      return rememberToolResult(job);
    },
  };

  const forget: AgentTool<z.output<typeof memoryForgetSchema>> = {
    name: 'memory_forget',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_forget,
    schema: memoryForgetSchema,
    execute: async (args, context) => {
      requireWrite(scopes.canWrite());
      await scopes.run(() =>
        client.memories.delete(args.memory_id, { ...store(), signal: context.signal }),
      );
      return { forgotten: args.memory_id };
    },
  };

  const profile: AgentTool<z.output<typeof memoryProfileSchema>> = {
    name: 'memory_profile',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_profile,
    schema: memoryProfileSchema,
    execute: async (args, context) => {
      const [entries, listed] = await scopes.run(() =>
        Promise.all([
          client.profile.get({ signal: context.signal }),
          client.memories.list({ ...store(), limit: args.limit }, { signal: context.signal }),
        ]),
      );
      return profileToolResult(
        Object.fromEntries(entries.map((entry) => [entry.key, entry.value])),
        listed,
      );
    },
  };

  return [search, remember, forget, profile];
}
