/** A conversation session of one (app, tenant). */
export interface SessionRecord {
  /** Session id. */
  id: string;
  /** Application. */
  appId: string;
  /** Tenant (user). */
  tenantId: string;
  /** Agent that owns the session. */
  agentId: string;
  /** Human-readable title. */
  title: string;
  /** String metadata. */
  metadata: Record<string, string>;
  /** Session this one continues (after compression or a branch), or null. */
  parentId: string | null;
  /** Number of messages. */
  messageCount: number;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** One message of a session. */
export interface SessionMessage {
  /** Message id. */
  id: string;
  /** Session it belongs to. */
  sessionId: string;
  /** Position in the session, from 1. */
  seq: number;
  /** Who said it. */
  role: 'user' | 'assistant' | 'system' | 'tool';
  /** What was said. */
  content: string;
  /** Speaker name, or null. */
  name: string | null;
  /** String metadata. */
  metadata: Record<string, string>;
  /** ISO time it was said. */
  createdAt: string;
}
