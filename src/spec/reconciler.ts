import type { ModelUsage } from '../core/model-usage.js';

/** A stored memory of the same scope, as the caller found it (id + text). */
export interface ExistingFact {
  id: string;
  text: string;
}

/** A newly extracted fact and the most similar existing facts of its scope. */
export interface NewFact {
  text: string;
  /** Most similar live memories of the same exact scope, best first; empty when none. */
  similar: readonly ExistingFact[];
}

/**
 * What to do with new fact number `fact` (its index in the input):
 * - `ADD`: store `text` as a new memory.
 * - `UPDATE`: replace the text of memory `targetId` with `text`, the merged fact; store nothing new.
 * - `INVALIDATE`: memory `targetId` no longer holds (close its validity), and store `text` as new.
 * - `NONE`: already known (by `targetId` when the model named it); store nothing.
 */
export type ReconcileDecision =
  | { event: 'ADD'; fact: number; text: string }
  | { event: 'UPDATE'; fact: number; text: string; targetId: string; previousText: string }
  | { event: 'INVALIDATE'; fact: number; text: string; targetId: string; previousText: string }
  | { event: 'NONE'; fact: number; text: string; targetId?: string };

/** The decisions of one batch, one per new fact in input order. */
export interface ReconcileResult {
  decisions: ReconcileDecision[];
  /** Answers that were overruled (invented handles, missing decisions, …), for logs. */
  warnings: string[];
  /** Usage of the call; undefined when no call was needed. */
  usage: ModelUsage | undefined;
}

/** Decides how new facts change stored ones (ADD, UPDATE, INVALIDATE, NONE); the LLM adapter is `LlmReconciler` in models/extract. */
export interface Reconciler {
  reconcile(facts: readonly NewFact[]): Promise<ReconcileResult>;
}
