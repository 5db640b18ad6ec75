import type { ConversationMessage } from '../core/conversation-message.js';
import type { MemoryKind } from '../core/memory-record.js';

/** A unit of memory proposed by an extractor, before deduplication and embedding. */
export interface ExtractedMemory {
  /** Self-contained memory text, in the language the user wrote. */
  text: string;
  /** Category of the memory. */
  kind: MemoryKind;
  /** Importance in [0, 1]. */
  salience: number;
  /** Indexes into the input messages this memory came from. */
  sourceMessages: number[];
  /** Position of this piece when one long text was split into several (pieces share their source). */
  part?: number;
  /** Extra string metadata the extractor attaches (speaker, date). */
  metadata?: Record<string, string>;
  /** The profile attribute this memory sets, e.g. `{key: 'tech_stack', value: 'TypeScript, Go'}`. */
  profile?: { key: string; value: string };
}

/** What an extractor may know besides the messages. */
export interface ExtractionContext {
  /** The user's current profile, so a fact that adds to a key can give its whole new value. */
  profile?: Record<string, string>;
}

/** Turns a batch of messages into memory units (passthrough, or an LLM in later versions). */
export interface Extractor {
  /** Stable identity recorded on each job. */
  readonly id: string;
  /** Extracts memory units from messages. Called by the ingestion pipeline. */
  doExtract(
    messages: readonly ConversationMessage[],
    context?: ExtractionContext,
  ): Promise<ExtractedMemory[]>;
}
