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
  /** Tool calls (assistant) and tool results (tool) of the message, in order; empty for plain text. */
  parts: SessionMessagePart[];
  /** ISO time it was said. */
  createdAt: string;
}

/** A tool call the assistant made. */
export interface ToolCallPart {
  type: 'tool-call';
  /** Id pairing the call with its result. */
  toolCallId: string;
  toolName: string;
  /** The arguments as the model sent them (a truncation notice when they were over the cap). */
  input: unknown;
  /** Set when the arguments were over the cap: how many characters their JSON had. */
  truncatedFrom?: number;
}

/** The result of a tool call, as it went back to the model. */
export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  toolName: string;
  /** A string, or a JSON value; a result over the cap is a string ending in a truncation marker. */
  output: unknown;
  /** True when the tool failed (the output says why). */
  isError: boolean;
  /** Set when the output was over the cap: how many characters it had. */
  truncatedFrom?: number;
}

/** A structured part of a session message. */
export type SessionMessagePart = ToolCallPart | ToolResultPart;
