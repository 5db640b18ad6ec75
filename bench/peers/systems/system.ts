import type { Fact } from '../facts.js';

/** One memory system under test, opened on its own folder against the shared embedder. */
export interface PeerSystem {
  /** Stores one memory and waits until it is searchable. */
  addOne(fact: Fact): Promise<void>;
  /** Stores many at once and waits until they are searchable; absent when the system has no bulk path. */
  addMany?(facts: Fact[]): Promise<void>;
  /** Texts of the best `limit` memories for a question. */
  search(question: string, limit: number): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a system on an empty folder; `embedUrl` is the OpenAI-compatible base URL (…/v1). */
export type OpenSystem = (folder: string, embedUrl: string) => Promise<PeerSystem>;

/** The user every system writes to and searches. */
export const benchUser = 'user-1';
