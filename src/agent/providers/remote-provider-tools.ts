import type { MnemosClient } from '../../client/mnemos-client.js';
import type { AnyTool } from '../tools/tool.js';
import { memoryToolSet } from './memory-tool-set.js';

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
  return memoryToolSet({
    canWrite: () => scopes.canWrite(),
    search: async (args, context) => {
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
      return results;
    },
    remember: (args, context) =>
      scopes.run(() =>
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
      ),
    forget: async (id, context) => {
      await scopes.run(() => client.memories.delete(id, { ...store(), signal: context.signal }));
    },
    profile: async (limit, context) => {
      const [entries, listed] = await scopes.run(() =>
        Promise.all([
          client.profile.get({ signal: context.signal }),
          client.memories.list({ ...store(), limit }, { signal: context.signal }),
        ]),
      );
      return {
        profile: Object.fromEntries(entries.map((entry) => [entry.key, entry.value])),
        listed,
      };
    },
  });
}
