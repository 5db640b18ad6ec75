import type { z } from 'zod';
import type { MnemosClient } from '../../client/mnemos-client.js';
import { MnemosError } from '../../errors.js';
import type { AgentTool, AnyTool } from '../tools/tool.js';
import {
  memoryForgetSchema,
  memoryProfileSchema,
  memoryRememberSchema,
  memorySearchSchema,
} from './memory-tools.js';

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
  const requireWrite = (): void => {
    const allowed = scopes.canWrite();
    if (allowed !== true)
      throw new MnemosError('invalid_scope', allowed, { details: { writable: false } });
  };

  const search: AgentTool<z.output<typeof memorySearchSchema>> = {
    name: 'memory_search',
    toolset: 'memory',
    description:
      "Search the user's long-term memory (facts, preferences, decisions from past conversations, across sessions and agents). Use it when the answer may depend on something the user said before.",
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
      return {
        results: results.map((result) => ({
          id: result.memory.id,
          text: result.memory.text,
          kind: result.memory.kind,
          score: Number(result.score.toFixed(4)),
          created_at: result.memory.createdAt,
        })),
        count: results.length,
      };
    },
  };

  const remember: AgentTool<z.output<typeof memoryRememberSchema>> = {
    name: 'memory_remember',
    toolset: 'memory',
    description:
      'Store something worth remembering about the user in long-term memory. With sync=true it waits until the memory is searchable.',
    schema: memoryRememberSchema,
    execute: async (args, context) => {
      requireWrite();
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
      return { job_id: job.id, status: job.status, memory_ids: job.memoryIds };
    },
  };

  const forget: AgentTool<z.output<typeof memoryForgetSchema>> = {
    name: 'memory_forget',
    toolset: 'memory',
    description: 'Forget one long-term memory by its id (from memory_search or memory_profile).',
    schema: memoryForgetSchema,
    execute: async (args, context) => {
      requireWrite();
      await scopes.run(() =>
        client.memories.delete(args.memory_id, { ...store(), signal: context.signal }),
      );
      return { forgotten: args.memory_id };
    },
  };

  const profile: AgentTool<z.output<typeof memoryProfileSchema>> = {
    name: 'memory_profile',
    toolset: 'memory',
    description:
      'List what long-term memory holds about the user: the profile (name, language, style, …) and the most recent memories.',
    schema: memoryProfileSchema,
    execute: async (args, context) => {
      const [entries, listed] = await scopes.run(() =>
        Promise.all([
          client.profile.get({ signal: context.signal }),
          client.memories.list({ ...store(), limit: args.limit }, { signal: context.signal }),
        ]),
      );
      return {
        profile: Object.fromEntries(entries.map((entry) => [entry.key, entry.value])),
        memories: listed.memories.map((memory) => ({
          id: memory.id,
          text: memory.text,
          kind: memory.kind,
          salience: memory.salience,
          created_at: memory.createdAt,
        })),
        count: listed.total,
      };
    },
  };

  return [search, remember, forget, profile];
}
