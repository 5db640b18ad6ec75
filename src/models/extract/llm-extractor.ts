import { z } from 'zod';
import type { ConversationMessage } from '../../core/conversation-message.js';
import { type MemoryKind, memoryKinds } from '../../core/memory-record.js';
import { normalizeProfileKey, profileLimits } from '../../core/profile-record.js';
import type { ExtractedMemory, ExtractionContext, Extractor } from '../../spec/extractor.js';
import {
  type ChatMessage,
  type ChatUsage,
  type JsonChatClient,
  parseAnswer,
} from '../llm/chat-client.js';

/** What one extraction call cost, given to {@link LlmExtractorOptions.onUsage}. */
export interface ExtractionUsage extends ChatUsage {
  /** The model that answered. */
  model: string;
  /** Messages in the batch. */
  messages: number;
  /** Memories returned. */
  facts: number;
}

/** Options of {@link LlmExtractor}. */
export interface LlmExtractorOptions {
  /** The chat model, usually a {@link ChatClient}. */
  client: JsonChatClient;
  /** Most memories kept from one batch (the most salient); default 30. */
  maxFacts?: number | undefined;
  /** Cap on the answer's tokens; default 2,048. */
  maxTokens?: number | undefined;
  /** Called after every successful call, with its token usage; the race-free way to account tokens. */
  onUsage?: ((usage: ExtractionUsage) => void) | undefined;
  /** Overrides the identity recorded on jobs; default `llm:<model>`. */
  id?: string | undefined;
}

const dateLike = /^\d{4}(-\d{2}){0,2}([T ][0-9:.+\-Z]*)?$/;
const noDate = new Set(['', 'null', 'none', 'unknown', 'n/a']);

const factSchema = z.object({
  text: z.string().trim().min(1),
  kind: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
    z.enum(memoryKinds),
  ),
  salience: z.number().min(0).max(1),
  entities: z
    .array(z.string())
    .nullish()
    .transform((entities) =>
      (entities ?? []).map((entity) => entity.trim()).filter((entity) => entity !== ''),
    ),
  date: z
    .string()
    .nullish()
    .transform((date) => date?.trim() ?? '')
    .refine((date) => noDate.has(date.toLowerCase()) || dateLike.test(date), {
      message: 'date must be YYYY-MM-DD (or YYYY-MM, YYYY) or null',
    })
    .transform((date) => (noDate.has(date.toLowerCase()) ? undefined : date)),
  sources: z.array(z.number()).nullish(),
  profile: z
    .object({ key: z.string(), value: z.string() })
    .nullish()
    .transform((profile) => {
      if (!profile) return undefined;
      const key = normalizeProfileKey(profile.key);
      const value = profile.value.trim();
      // A key that cannot be one, or an empty or oversized value, drops the attribute, not the fact.
      if (key === null || value === '' || value.length > profileLimits.maxValueLength)
        return undefined;
      return { key, value };
    }),
});

/** The answer the extraction prompt asks for. */
export const extractionAnswerSchema = z.object({ facts: z.array(factSchema) });

/** The instructions of the extraction call: the output shape, the language, date and honesty rules, examples. */
export const EXTRACTION_SYSTEM_PROMPT = `You extract long-term memories about the user from a conversation between the user and an assistant.

The conversation comes as JSON lines, one per message: {"n": message number, "role", "date" (the day the message was written, with its weekday), "text"}.

Return one JSON object and nothing else:
{"facts":[{"text":"…","kind":"fact|preference|profile|decision|event|note","salience":0.0-1.0,"entities":["…"],"date":"YYYY-MM-DD or null","sources":[message numbers],"profile":{"key":"…","value":"…"} or null}]}

Rules:
1. Language: write each fact in the language the user wrote it in. Chinese stays Chinese, Japanese stays Japanese, English stays English; never translate. Refer to the user as "the user" in English and "用户" in Chinese.
2. Keep proper nouns, names, product names, versions, numbers, amounts and units exactly as written (李雷 stays 李雷, Node 20 stays Node 20, 3,500 元 stays 3,500 元).
3. Dates: resolve relative times ("yesterday", "next Friday", "昨天", "下周五", "上个月") to absolute dates using the date of the message they appear in, never today's date. Put the resolved date in the fact text and in "date" (YYYY-MM-DD); "date" is null when the fact is not tied to a day.
4. Nothing invented: record only what the messages state. Do not guess, generalise or add details. The assistant's messages are context only; what the assistant says is not a memory unless the user confirms it.
5. One piece of information per fact, self-contained (understandable without the conversation). Skip greetings, small talk and questions that state nothing about the user. When nothing is worth remembering, return {"facts":[]}.
6. kind: profile = who the user is (name, job, location, family); preference = likes, dislikes, wishes, style; decision = a choice the user made; event = something that happened or is planned at a time; fact = other lasting facts about the user's world; note = anything else worth keeping.
7. salience: 0.9 for identity and lasting preferences, 0.5 for ordinary facts, 0.2 for minor details.
8. entities: the people, places, organisations, products and other proper nouns of the fact, as written. sources: the numbers "n" of the messages the fact comes from.
9. profile: when a fact states a lasting attribute of the user, add "profile" with an English snake_case key (name, preferred_name, language, location, occupation, employer, tech_stack, communication_style, timezone, diet, family, or another short key) and a short value in the user's language, proper nouns as written. The user's current profile may be given; when a fact adds to a key (another tool, another language), the value is the whole new value, merged with the current one; when it replaces it, only the new value. Otherwise "profile" is null.

Example (Chinese):
{"n":0,"role":"user","date":"2025-03-14 (Friday)","text":"我叫李雷，在杭州做后端开发，主要用 TypeScript。以后回答请正式一点。"}
{"n":1,"role":"assistant","date":"2025-03-14 (Friday)","text":"好的，李雷。"}
{"n":2,"role":"user","date":"2025-03-14 (Friday)","text":"昨天我把项目从 Node 18 升级到了 Node 20。"}
Answer:
{"facts":[{"text":"用户名叫李雷","kind":"profile","salience":0.9,"entities":["李雷"],"date":null,"sources":[0],"profile":{"key":"name","value":"李雷"}},{"text":"用户在杭州做后端开发，主要使用 TypeScript","kind":"profile","salience":0.8,"entities":["杭州","TypeScript"],"date":null,"sources":[0],"profile":{"key":"tech_stack","value":"TypeScript"}},{"text":"用户希望回答风格更加正式","kind":"preference","salience":0.9,"entities":[],"date":null,"sources":[0],"profile":{"key":"communication_style","value":"正式"}},{"text":"用户于 2025-03-13 把项目从 Node 18 升级到了 Node 20","kind":"event","salience":0.6,"entities":["Node 18","Node 20"],"date":"2025-03-13","sources":[2],"profile":null}]}

Example (English):
{"n":0,"role":"user","date":"2024-11-02 (Saturday)","text":"I'm vegetarian, and next Friday I'm flying to Lisbon for Web Summit."}
Answer:
{"facts":[{"text":"The user is vegetarian","kind":"preference","salience":0.9,"entities":[],"date":null,"sources":[0],"profile":{"key":"diet","value":"vegetarian"}},{"text":"The user is flying to Lisbon for Web Summit on 2024-11-08","kind":"event","salience":0.7,"entities":["Lisbon","Web Summit"],"date":"2024-11-08","sources":[0],"profile":null}]}`;

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * An `Extractor` backed by a chat model: ONE JSON-mode call per batch of messages (the ingestion
 * pipeline gives it one job's messages, at most 20), bounded by `maxTokens` and `maxFacts`.
 *
 * Facts come out in the language the user wrote, with proper nouns and numbers kept, relative dates
 * resolved from each message's own `createdAt`, and nothing invented (the prompt says so and shows
 * Chinese and English examples). The answer is validated with zod; JSON that is malformed or breaks
 * the schema is an `upstream_error` (category `upstream`, reason `bad_response`), so the job runner
 * retries the job and finally fails it with its input kept.
 *
 * Token usage: `lastUsage` (the latest call) and `totalUsage` (since construction) are on the
 * instance for quick inspection; `onUsage` is called once per call with the counts of that call
 * and is the accurate hook when several jobs extract concurrently.
 */
export class LlmExtractor implements Extractor {
  readonly id: string;
  /** Usage of the latest successful call, if any. */
  lastUsage: ChatUsage | undefined;
  /** Usage summed over every successful call of this instance. */
  readonly totalUsage: ChatUsage = { promptTokens: 0, completionTokens: 0 };
  private readonly options: LlmExtractorOptions;

  constructor(options: LlmExtractorOptions) {
    this.options = options;
    this.id = options.id ?? `llm:${options.client.model}`;
  }

  /** The chat messages sent for a batch; exposed for tests and debugging. */
  static buildPrompt(
    messages: readonly ConversationMessage[],
    profile: Record<string, string> = {},
  ): ChatMessage[] {
    const lines: string[] = [];
    messages.forEach((message, index) => {
      if (message.role !== 'user' && message.role !== 'assistant') return;
      const line: Record<string, unknown> = { n: index, role: message.role };
      if (message.name) line.name = message.name;
      line.date = describeDate(message.createdAt);
      line.text = message.content;
      lines.push(JSON.stringify(line));
    });
    return [
      { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
      {
        role: 'user',
        content: `${
          Object.keys(profile).length > 0
            ? `Current profile of the user: ${JSON.stringify(profile)}\n\n`
            : ''
        }Extract the memories of this conversation. Dates are those of each message; write facts in the language the user wrote.\n\n${lines.join('\n')}`,
      },
    ];
  }

  async doExtract(
    messages: readonly ConversationMessage[],
    context: ExtractionContext = {},
  ): Promise<ExtractedMemory[]> {
    const userMessages: number[] = [];
    messages.forEach((message, index) => {
      if (message.role === 'user' && message.content.trim() !== '') userMessages.push(index);
    });
    // Memories are about the user: a batch without a word from the user costs no call.
    if (userMessages.length === 0) return [];
    const { client } = this.options;
    const completion = await client.completeJson(
      LlmExtractor.buildPrompt(messages, context.profile),
      'facts',
      {
        maxTokens: this.options.maxTokens,
      },
    );
    const answer = parseAnswer(extractionAnswerSchema, completion.json, {
      service: 'chat (facts)',
      url: client.url,
    });
    const shown = new Set(
      messages.flatMap((message, index) =>
        message.role === 'user' || message.role === 'assistant' ? [index] : [],
      ),
    );
    const maxFacts = this.options.maxFacts ?? 30;
    const facts = answer.facts
      .map((fact, order) => ({ fact, order }))
      .sort((a, b) => b.fact.salience - a.fact.salience || a.order - b.order)
      .slice(0, maxFacts)
      .sort((a, b) => a.order - b.order)
      .map(({ fact }) => fact);
    const memories = facts.map((fact): ExtractedMemory => {
      const cited = [
        ...new Set((fact.sources ?? []).filter((n) => Number.isInteger(n) && shown.has(n))),
      ].sort((a, b) => a - b);
      const sourceMessages = cited.length > 0 ? cited : [...userMessages];
      const metadata: Record<string, string> = {};
      const role = messages[sourceMessages[0]!]?.role;
      if (role) metadata.role = role;
      if (fact.entities.length > 0) metadata.entities = fact.entities.join(', ');
      if (fact.date !== undefined) metadata.date = fact.date;
      return {
        text: fact.text,
        kind: fact.kind as MemoryKind,
        salience: fact.salience,
        sourceMessages,
        metadata,
        ...(fact.profile ? { profile: fact.profile } : {}),
      };
    });
    const usage = completion.usage;
    this.lastUsage = { ...usage };
    this.totalUsage.promptTokens += usage.promptTokens;
    this.totalUsage.completionTokens += usage.completionTokens;
    this.options.onUsage?.({
      ...usage,
      model: completion.model,
      messages: messages.length,
      facts: memories.length,
    });
    return memories;
  }
}

/** `2025-03-14 (Friday)` from an ISO time, using the calendar day as written; `unknown` without one. */
function describeDate(createdAt: string | undefined): string {
  if (!createdAt) return 'unknown';
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(createdAt.trim());
  if (!match) return createdAt;
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (Number.isNaN(day.getTime())) return createdAt;
  return `${match[0]} (${weekdays[day.getUTCDay()]})`;
}
