import { z } from 'zod';
import { limits } from './limits.js';
import { maxPartsPerMessage, messagePartSchema } from './message-parts.js';
import { messageSchema, metadataSchema } from './schemas.js';
import type { SessionMessage, SessionMessagePart } from './session-record.js';

const sessionIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Input of `sessions.create`. */
export const createSessionSchema = z
  .object({
    id: z
      .string()
      .regex(sessionIdPattern, 'session ids are 1-128 letters, digits, `_`, `.`, `:` or `-`')
      .optional(),
    title: z.string().max(256).optional(),
    metadata: metadataSchema.optional(),
    parentId: z.string().regex(sessionIdPattern).optional(),
  })
  .strict();

/** Most messages one `append` takes. */
export const maxAppendMessages = limits.maxMessages * 10;

/**
 * Messages of `sessions.append`. No per-message cap here: the agent's own transcript (long answers,
 * tool results) goes through `append`; requests from outside are capped by {@link historyBodySchema}.
 */
export const appendSchema = z
  .array(
    messageSchema.extend({ content: z.string(), metadata: metadataSchema.optional() }).strict(),
  )
  .min(1)
  .max(maxAppendMessages);

/**
 * Parts are checked apart from the rest of a message: a tool's output is whatever the tool
 * returned (a binary file may hold U+0000), and it is stored as JSON, where that is escaped.
 */
export const partsSchema = z.array(messagePartSchema).max(maxPartsPerMessage);

/** A message as `append` takes it. */
export interface AppendMessage {
  role: SessionMessage['role'];
  content: string;
  name?: string;
  createdAt?: string;
  metadata?: Record<string, string>;
  /** Tool calls and results of the message. */
  parts?: SessionMessagePart[];
}

/** Input of `sessions.create`: an id (else a new UUID), a title, metadata and a parent session. */
export type SessionCreateInput = z.input<typeof createSessionSchema>;

/** Body of `POST /v1/sessions/{id}/history`: messages from outside, each capped at 32,000 characters. */
export const historyBodySchema = z
  .object({
    messages: z
      .array(messageSchema.extend({ metadata: metadataSchema.optional() }).strict())
      .min(1)
      .max(maxAppendMessages),
  })
  .strict();
