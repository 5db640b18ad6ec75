import { z } from 'zod';
import type {
  ExistingFact,
  NewFact,
  ReconcileDecision,
  ReconcileResult,
} from '../../spec/reconciler.js';
import {
  type ChatMessage,
  type ChatUsage,
  type JsonChatClient,
  parseAnswer,
} from '../llm/chat-client.js';

/** Options of {@link LlmReconciler}. */
export interface LlmReconcilerOptions {
  client: JsonChatClient;
  /** Cap on the answer's tokens; default 2,048. */
  maxTokens?: number | undefined;
  /** Called after every call with its usage. */
  onUsage?: ((usage: ChatUsage & { model: string; facts: number }) => void) | undefined;
}

const eventAliases: Record<string, 'ADD' | 'UPDATE' | 'INVALIDATE' | 'NONE'> = {
  ADD: 'ADD',
  UPDATE: 'UPDATE',
  INVALIDATE: 'INVALIDATE',
  DELETE: 'INVALIDATE',
  NONE: 'NONE',
  NOOP: 'NONE',
};

const decisionSchema = z.object({
  fact: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  event: z.preprocess(
    (value) =>
      typeof value === 'string' ? (eventAliases[value.trim().toUpperCase()] ?? value) : value,
    z.enum(['ADD', 'UPDATE', 'INVALIDATE', 'NONE']),
  ),
  target: z.union([z.number(), z.string()]).nullish(),
  text: z.string().nullish(),
});

/** The answer the reconciliation prompt asks for. */
export const reconcileAnswerSchema = z.object({ decisions: z.array(decisionSchema) });

/** The instructions of the reconciliation call. */
export const RECONCILE_SYSTEM_PROMPT = `You keep a user's long-term memory consistent. You get EXISTING facts, each under a short integer handle such as [0], [1], [2], and NEW facts numbered fact 0, fact 1, …, each with the handles of the existing facts it resembles.

For each new fact choose one event:
- ADD: new information that no existing fact covers.
- UPDATE: the new fact is about the same thing as one existing fact and adds to or refines it without contradicting it. Give "target" (the handle) and "text": one merged fact keeping every detail of both.
- INVALIDATE: the new fact contradicts an existing fact (it changed or is no longer true). Give "target" (the handle of the contradicted fact); the new fact is stored as it is.
- NONE: an existing fact already says the same; give "target" (its handle).

Rules:
1. Refer to existing facts only by the integer handles shown. Never use a handle that is not listed.
2. Language: write "text" in the language the user wrote the facts in. Chinese stays Chinese, never translate. Keep names, numbers and dates exactly.
3. Decide from the facts only; invent nothing.

Return one JSON object and nothing else, with one decision per new fact, in order:
{"decisions":[{"fact":0,"event":"ADD|UPDATE|INVALIDATE|NONE","target":handle or null,"text":"merged fact, for UPDATE only"}]}

Example:
EXISTING
[0] 用户住在北京
[1] 用户喜欢喝咖啡
[2] The user works at Acme
NEW
fact 0: 用户上个月搬到了上海 (similar: [0])
fact 1: 用户喜欢喝美式咖啡，不加糖 (similar: [1])
fact 2: The user works at Acme as a data engineer (similar: [2])
fact 3: 用户喜欢咖啡 (similar: [1])
Answer:
{"decisions":[{"fact":0,"event":"INVALIDATE","target":0},{"fact":1,"event":"UPDATE","target":1,"text":"用户喜欢喝美式咖啡，不加糖"},{"fact":2,"event":"UPDATE","target":2,"text":"The user works at Acme as a data engineer"},{"fact":3,"event":"NONE","target":1}]}`;

/**
 * Decides, with one chat call per batch, how newly extracted facts change the stored memory:
 * ADD, UPDATE (merge into an existing fact), INVALIDATE (an existing fact is contradicted) or NONE.
 *
 * Existing facts are shown to the model under short integer handles (0, 1, 2, …), never their ids,
 * which saves tokens and keeps the model from mangling or inventing ids; handles are mapped back
 * here. A handle that was not shown, a missing target, or a second UPDATE/INVALIDATE of the same
 * memory is overruled to ADD with a warning, so nothing new is lost. New facts with no similar
 * existing fact are ADD without asking; when none has any, no call is made.
 *
 * Pure: it reads and writes nothing; the caller applies the decisions.
 */
export class LlmReconciler {
  /** Usage of the latest call, if any. */
  lastUsage: ChatUsage | undefined;
  private readonly options: LlmReconcilerOptions;

  constructor(options: LlmReconcilerOptions) {
    this.options = options;
  }

  /** Gives each distinct existing fact a handle in order of first appearance, and builds the prompt. */
  static buildPrompt(facts: readonly NewFact[]): {
    messages: ChatMessage[];
    handles: ExistingFact[];
    asked: number[];
  } {
    const handles: ExistingFact[] = [];
    const handleOf = new Map<string, number>();
    const asked: number[] = [];
    const lines: string[] = [];
    facts.forEach((fact, index) => {
      if (fact.similar.length === 0) return;
      asked.push(index);
      const own: number[] = [];
      for (const existing of fact.similar) {
        let handle = handleOf.get(existing.id);
        if (handle === undefined) {
          handle = handles.length;
          handleOf.set(existing.id, handle);
          handles.push(existing);
        }
        if (!own.includes(handle)) own.push(handle);
      }
      lines.push(
        `fact ${index}: ${oneLine(fact.text)} (similar: ${own.map((handle) => `[${handle}]`).join(', ')})`,
      );
    });
    const existing = handles.map((fact, handle) => `[${handle}] ${oneLine(fact.text)}`);
    return {
      messages: [
        { role: 'system', content: RECONCILE_SYSTEM_PROMPT },
        {
          role: 'user',
          content: `Decide for each new fact. Write "text" in the language the user wrote.\n\nEXISTING\n${existing.join('\n')}\nNEW\n${lines.join('\n')}`,
        },
      ],
      handles,
      asked,
    };
  }

  async reconcile(facts: readonly NewFact[]): Promise<ReconcileResult> {
    const decisions: ReconcileDecision[] = facts.map((fact, index) => ({
      event: 'ADD',
      fact: index,
      text: fact.text,
    }));
    const { messages, handles, asked } = LlmReconciler.buildPrompt(facts);
    if (asked.length === 0) return { decisions, warnings: [], usage: undefined };

    const { client } = this.options;
    const completion = await client.completeJson(messages, 'decisions', {
      maxTokens: this.options.maxTokens,
    });
    const answer = parseAnswer(reconcileAnswerSchema, completion.json, {
      service: 'chat (decisions)',
      url: client.url,
    });
    const warnings: string[] = [];
    const decided = new Set<number>();
    const claimed = new Set<string>();
    const askedSet = new Set(asked);
    for (const raw of answer.decisions) {
      const index = raw.fact;
      const fact = facts[index];
      if (fact === undefined || !askedSet.has(index)) {
        warnings.push(`decision for fact ${index}, which was not asked about, ignored`);
        continue;
      }
      if (decided.has(index)) {
        warnings.push(`second decision for fact ${index} ignored`);
        continue;
      }
      decided.add(index);
      if (raw.event === 'ADD') continue;
      const handle = handleNumber(raw.target);
      const target = handle === undefined ? undefined : handles[handle];
      if (target === undefined) {
        if (raw.event === 'NONE' && (raw.target === null || raw.target === undefined)) {
          decisions[index] = { event: 'NONE', fact: index, text: fact.text };
          continue;
        }
        warnings.push(
          raw.target === null || raw.target === undefined
            ? `${raw.event} of fact ${index} names no existing fact; treated as ADD`
            : `${raw.event} of fact ${index} names handle ${JSON.stringify(raw.target)}, which was not shown; treated as ADD`,
        );
        continue;
      }
      if (raw.event === 'NONE') {
        decisions[index] = { event: 'NONE', fact: index, text: fact.text, targetId: target.id };
        continue;
      }
      if (claimed.has(target.id)) {
        warnings.push(
          `${raw.event} of fact ${index} targets [${handle}], already changed by another fact of the batch; treated as ADD`,
        );
        continue;
      }
      claimed.add(target.id);
      const merged = raw.text?.trim();
      decisions[index] = {
        event: raw.event,
        fact: index,
        text: raw.event === 'UPDATE' && merged ? merged : fact.text,
        targetId: target.id,
        previousText: target.text,
      };
    }
    for (const index of asked) {
      if (!decided.has(index)) warnings.push(`no decision for fact ${index}; treated as ADD`);
    }
    this.lastUsage = { ...completion.usage };
    this.options.onUsage?.({ ...completion.usage, model: completion.model, facts: asked.length });
    return { decisions, warnings, usage: { ...completion.usage } };
  }
}

/** A handle as the model wrote it: `3`, `"3"` or `"[3]"`; undefined for anything else. */
function handleNumber(target: number | string | null | undefined): number | undefined {
  if (typeof target === 'number')
    return Number.isInteger(target) && target >= 0 ? target : undefined;
  if (typeof target !== 'string') return undefined;
  const match = /^\s*\[?\s*(\d+)\s*\]?\s*$/.exec(target);
  return match ? Number(match[1]) : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
