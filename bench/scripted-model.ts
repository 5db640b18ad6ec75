import type { ChatRequest, RecordedRequest, ScriptedReply } from '../test/support/model-server.js';

/** Every this many user messages (counted over a run), the fact restates an earlier one instead. */
export const restateEvery = 5;
/** Words of a user message kept in its fact. */
const factWords = 24;

/** What the stand-in did in one run, besides the calls the server recorded. */
export interface ScriptTally {
  /** Facts answered to extraction calls (restatements included). */
  facts: number;
  /** Facts that restate an earlier fact. */
  restated: number;
  /** Restatements that appeared in a reconciliation prompt. */
  restatedAsked: number;
  /** NONE decisions answered (a restatement whose original was shown). */
  none: number;
  /** ADD decisions answered. */
  add: number;
}

function content(request: ChatRequest, index: number): string {
  const value = request.messages?.[index]?.content;
  return typeof value === 'string' ? value : '';
}

/** Which prompt a recorded chat request carries, told by its system prompt. */
export function callKind(recorded: RecordedRequest): 'extraction' | 'reconciliation' | 'other' {
  const system = content((recorded.body ?? {}) as ChatRequest, 0);
  if (system.startsWith('You extract')) return 'extraction';
  if (system.startsWith('You keep a user')) return 'reconciliation';
  return 'other';
}

/** Characters of the messages of a recorded chat request (system + user prompt). */
export function promptCharacters(recorded: RecordedRequest): number {
  const messages = ((recorded.body ?? {}) as ChatRequest).messages ?? [];
  return messages.reduce(
    (sum, message) => sum + (typeof message.content === 'string' ? message.content.length : 0),
    0,
  );
}

function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/**
 * The scripted model of the `llm` section: it answers extraction calls with one `fact` per user
 * message (the first words of the message), except that every {@link restateEvery}th user message
 * restates a fact of an earlier call (a shortened rewording, similar but not a near-duplicate), and
 * answers reconciliation calls with NONE for a restatement whose original is shown, ADD otherwise.
 * Deterministic; one instance per run.
 */
export class ScriptedMemoryModel {
  readonly tally: ScriptTally = { facts: 0, restated: 0, restatedAsked: 0, none: 0, add: 0 };
  private userMessages = 0;
  /** Facts of earlier calls, restated in turn. */
  private readonly earlier: string[] = [];
  /** Restatement text → the fact it restates. */
  private readonly restatements = new Map<string, string>();

  answer(request: ChatRequest): ScriptedReply {
    const system = content(request, 0);
    if (system.startsWith('You extract')) return this.extract(content(request, 1));
    if (system.startsWith('You keep a user')) return this.reconcile(content(request, 1));
    return { status: 400, error: 'the bench stand-in answers extraction and reconciliation only' };
  }

  private extract(prompt: string): ScriptedReply {
    const facts = [];
    const originals: string[] = [];
    for (const line of prompt.split('\n')) {
      if (!line.startsWith('{"n":')) continue;
      const message = JSON.parse(line) as { n: number; role: string; text: string };
      if (message.role !== 'user') continue;
      const words = wordsOf(message.text).slice(0, factWords);
      if (words.length === 0) continue;
      this.userMessages++;
      let text = `The user said: ${words.join(' ')}`;
      if (this.userMessages % restateEvery === 0 && this.earlier.length > 0) {
        const original = this.earlier[(this.userMessages / restateEvery) % this.earlier.length]!;
        const kept = wordsOf(original.slice('The user said: '.length));
        text = `Again, the user said: ${kept.slice(0, Math.max(4, Math.ceil(kept.length * 0.6))).join(' ')}`;
        this.restatements.set(text, original);
        this.tally.restated++;
      } else {
        originals.push(text);
      }
      facts.push({
        text,
        kind: 'fact',
        salience: 0.5,
        entities: [],
        date: null,
        sources: [message.n],
        profile: null,
      });
    }
    this.earlier.push(...originals);
    this.tally.facts += facts.length;
    return { json: { facts } };
  }

  private reconcile(prompt: string): ScriptedReply {
    const lines = prompt.split('\n');
    const handles = new Map<string, number>();
    for (const line of lines) {
      const match = /^\[(\d+)\] (.*)$/.exec(line);
      if (match) handles.set(match[2]!, Number(match[1]));
    }
    const decisions = [];
    for (const line of lines) {
      const match = /^fact (\d+): (.*) \(similar: [^)]*\)$/.exec(line);
      if (!match) continue;
      const fact = Number(match[1]);
      const original = this.restatements.get(match[2]!);
      if (original !== undefined) this.tally.restatedAsked++;
      const target = original === undefined ? undefined : handles.get(original);
      if (target === undefined) {
        this.tally.add++;
        decisions.push({ fact, event: 'ADD', target: null });
      } else {
        this.tally.none++;
        decisions.push({ fact, event: 'NONE', target });
      }
    }
    return { json: { decisions } };
  }
}
