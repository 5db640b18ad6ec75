import { z } from 'zod';
import type { MemoryService } from '../../memory/memory-service.js';
import type { SessionService } from '../../sessions/session-service.js';
import type { AnyTool } from './tool.js';

/** Who the sessions belong to. */
export interface SessionSearchOwner {
  appId: string;
  tenantId: string;
}

/** One past session found, with the messages and memories that matched. */
export interface SessionHit {
  session_id: string;
  title: string;
  updated_at: string;
  score: number;
  matches: string[];
}

const rrfK = 60;

/** The engine's services session search reads: raw session messages and the facts synced from them. */
export interface SessionSearchServices {
  sessions: SessionService;
  memories: MemoryService;
}

/**
 * Hybrid search over the user's past sessions: BM25 over raw messages (CJK-aware tokens) fused by
 * reciprocal rank with the memory engine's hybrid search over facts synced from those sessions
 * (vectors, so paraphrases match), grouped by session.
 */
export async function searchSessions(
  engine: SessionSearchServices,
  owner: SessionSearchOwner,
  query: string,
  limit: number,
): Promise<SessionHit[]> {
  const [messages, memories] = await Promise.all([
    engine.sessions.search(owner, query, { limit: 50 }),
    engine.memories
      .search({ scope: { ...owner, agentId: '*', runId: '*' }, query, topK: 50 })
      .then((output) => output.results)
      .catch(() => []),
  ]);
  const hits = new Map<string, { score: number; matches: string[] }>();
  const add = (sessionId: string, rank: number, text: string): void => {
    const hit = hits.get(sessionId) ?? { score: 0, matches: [] };
    hit.score += 1 / (rrfK + rank);
    if (hit.matches.length < 3 && !hit.matches.includes(text)) hit.matches.push(text);
    hits.set(sessionId, hit);
  };
  for (const [rank, message] of messages.entries()) {
    add(message.sessionId, rank + 1, clip(`${message.role}: ${message.content}`));
  }
  memories.forEach((result, rank) => {
    const sessionId = result.memory.metadata.session_id;
    if (sessionId) add(sessionId, rank + 1, clip(`memory: ${result.memory.text}`));
  });
  const ranked = [...hits.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, limit);
  const out: SessionHit[] = [];
  for (const [sessionId, hit] of ranked) {
    const session = await engine.sessions.get(owner, sessionId).catch(() => null);
    if (!session) continue;
    out.push({
      session_id: sessionId,
      title: session.title,
      updated_at: session.updatedAt,
      score: Number(hit.score.toFixed(5)),
      matches: hit.matches,
    });
  }
  return out;
}

/** The `session_search` tool over {@link searchSessions}. */
export function sessionSearchTool(
  engine: SessionSearchServices,
  owner: () => SessionSearchOwner,
): AnyTool {
  return {
    name: 'session_search',
    toolset: 'session_search',
    description:
      "Search the user's past conversations (any language, Chinese included) for what was said: returns matching sessions with snippets.",
    schema: z.object({
      query: z.string().min(1),
      limit: z.number().int().min(1).max(20).default(5),
    }),
    execute: async (args: { query: string; limit: number }) => {
      const sessions = await searchSessions(engine, owner(), args.query, args.limit);
      return { sessions, count: sessions.length };
    },
  };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
