import { type AddMemoriesInput, Mnemos } from '../src/index.js';
import { type ModelServer, startModelServer } from '../test/support/model-server.js';
import { benchTenant, storedCount } from './engine.js';
import { type LongMemEvalQuestion, loadLongMemEval } from './longmemeval-data.js';
import {
  callKind,
  promptCharacters,
  ScriptedMemoryModel,
  type ScriptTally,
} from './scripted-model.js';
import { log, nowMs, summarise } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

/** How conversations are cut into `addMany` requests (each at most 20 messages, 32,000 characters). */
export type JobUnit = 'session' | 'exchange';

type Message = NonNullable<AddMemoriesInput['messages']>[number];

/** Whole LongMemEval sessions chosen to total about a number of characters. */
interface Conversations {
  sessions: Array<{ id: string; messages: Message[] }>;
  characters: number;
  messages: number;
  userMessages: number;
}

/** One ingestion of a set of conversations through the LLM path and the passthrough path. */
export interface LlmIngestRun {
  targetCharacters: number;
  unit: JobUnit;
  sessions: number;
  characters: number;
  messages: number;
  userMessages: number;
  jobs: number;
  failedJobs: number;
  extractionCalls: number;
  reconciliationCalls: number;
  otherRequests: number;
  promptCharacters: number;
  /** Summed `usage` of the jobs (the stand-in's counts). */
  promptTokens: number;
  completionTokens: number;
  script: ScriptTally;
  llmSeconds: number;
  llmMemories: number;
  passthroughSeconds: number;
  passthroughMemories: number;
  passthroughFailedJobs: number;
}

/** Figures of the `llm` section. */
export interface LlmIngestFigures {
  /** Ingestions per path and set; wall times are their median. */
  repetitions: number;
  runs: LlmIngestRun[];
}

const limits = { messages: 20, characters: 32_000 } as const;
const keyEnv = 'MNEMOS_BENCH_STAND_IN_KEY';
/** Ingestions per path and set; the median wall time is reported. */
const repetitions = 3;

/** `2023/03/27 (Mon) 00:49` → ISO time, or undefined. */
function isoDate(date: string | undefined): string | undefined {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) \(\w+\) (\d{2}):(\d{2})/.exec(date ?? '');
  return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:00Z` : undefined;
}

/**
 * Whole haystack sessions in file order (each once), skipping any that would take the total past
 * `target` characters or holds a message over the request limit, until the total is within 10 %.
 */
function chooseConversations(questions: LongMemEvalQuestion[], target: number): Conversations {
  const out: Conversations = { sessions: [], characters: 0, messages: 0, userMessages: 0 };
  const seen = new Set<string>();
  for (const question of questions) {
    for (const [index, session] of question.haystack_sessions.entries()) {
      const id = question.haystack_session_ids[index]!;
      if (seen.has(id)) continue;
      seen.add(id);
      const createdAt = isoDate(question.haystack_dates[index]);
      const messages: Message[] = session
        .filter((turn) => turn.content.trim() !== '')
        .map((turn) => ({
          role: turn.role,
          content: turn.content,
          ...(createdAt ? { createdAt } : {}),
        }));
      const characters = messages.reduce((sum, message) => sum + message.content.length, 0);
      if (messages.length === 0 || out.characters + characters > target) continue;
      if (messages.some((message) => message.content.length > limits.characters)) continue;
      out.sessions.push({ id, messages });
      out.characters += characters;
      out.messages += messages.length;
      out.userMessages += messages.filter((message) => message.role === 'user').length;
      if (out.characters >= target * 0.9) return out;
    }
  }
  return out;
}

/** Splits messages into runs of at most 20 messages and 32,000 characters. */
function chunk(messages: Message[]): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let characters = 0;
  for (const message of messages) {
    if (
      current.length === limits.messages ||
      (current.length > 0 && characters + message.content.length > limits.characters)
    ) {
      out.push(current);
      current = [];
      characters = 0;
    }
    current.push(message);
    characters += message.content.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Add requests: one per session (chunked), or one per exchange (a user message and the replies after it). */
function jobsOf(conversations: Conversations, unit: JobUnit): AddMemoriesInput[] {
  const jobs: AddMemoriesInput[] = [];
  for (const session of conversations.sessions) {
    const groups: Message[][] = [];
    if (unit === 'session') groups.push(session.messages);
    else
      for (const message of session.messages) {
        if (message.role === 'user' || groups.length === 0) groups.push([]);
        groups[groups.length - 1]!.push(message);
      }
    for (const group of groups)
      for (const messages of chunk(group))
        jobs.push({ scope: benchTenant, messages, metadata: { session_id: session.id } });
  }
  return jobs;
}

/** Sends each job as its own `addMany([job], { sync: true })`, in order; wall ms and failed jobs. */
async function ingest(
  mnemos: Mnemos,
  jobs: AddMemoriesInput[],
): Promise<{ ms: number; failed: number }> {
  let failed = 0;
  const start = nowMs();
  for (const job of jobs) {
    const [done] = await mnemos.memories.addMany([job], { sync: true });
    if (done?.status !== 'succeeded') failed++;
  }
  return { ms: nowMs() - start, failed };
}

/** Summed chat tokens recorded on the tenant's jobs. */
async function jobUsage(mnemos: Mnemos): Promise<{ prompt: number; completion: number }> {
  const sum = { prompt: 0, completion: 0 };
  for (let offset = 0; ; offset += 500) {
    const page = await mnemos.memories.jobs({ scope: benchTenant, limit: 500, offset });
    for (const job of page) {
      sum.prompt += job.usage?.promptTokens ?? 0;
      sum.completion += job.usage?.completionTokens ?? 0;
    }
    if (page.length < 500) return sum;
  }
}

function openLlm(home: string, server: ModelServer): Promise<Mnemos> {
  return Mnemos.open({
    home,
    config: {
      extractor: 'llm',
      llm: { base_url: server.url, model: 'scripted-stand-in', api_key_env: keyEnv },
    },
  });
}

function openPassthrough(home: string): Promise<Mnemos> {
  return Mnemos.open({ home, config: { extractor: 'passthrough' } });
}

/** Ingests `jobs` on a fresh home; returns the time, failures and stored memories, then removes the home. */
async function measure(
  label: string,
  open: (home: string) => Promise<Mnemos>,
  jobs: AddMemoriesInput[],
  after?: (mnemos: Mnemos) => Promise<void>,
): Promise<{ ms: number; failed: number; memories: number }> {
  const home = tempHome(label);
  const mnemos = await open(home);
  try {
    const { ms, failed } = await ingest(mnemos, jobs);
    await after?.(mnemos);
    return { ms, failed, memories: await storedCount(mnemos) };
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }
}

/**
 * What LLM extraction + reconciliation costs in model calls, against the real ingestion pipeline:
 * whole LongMemEval sessions of about 10k (and in a full run 100k) characters, sent as jobs of one
 * session or one exchange, with a scripted local OpenAI-compatible server standing in for the model
 * (it answers at once, so times are Mnemos' own overhead); the same jobs through the passthrough
 * extractor (no model) are the baseline.
 */
export async function runLlmIngest(options: { quick: boolean }): Promise<LlmIngestFigures> {
  const targets = options.quick ? [10_000] : [10_000, 100_000];
  log('llm: loading LongMemEval-S conversations');
  const questions = loadLongMemEval();
  process.env[keyEnv] ??= 'local-stand-in';
  let model = new ScriptedMemoryModel();
  const server = await startModelServer({ defaultReply: (request) => model.answer(request) });
  const runs: LlmIngestRun[] = [];
  try {
    // Warm-up (module loading, first HTTP connection), not measured.
    const warm = jobsOf(chooseConversations(questions, 10_000), 'exchange').slice(0, 3);
    await measure('llm-warm', (home) => openLlm(home, server), warm);
    await measure('llm-warm', openPassthrough, warm);
    for (const target of targets) {
      const conversations = chooseConversations(questions, target);
      for (const unit of ['session', 'exchange'] as const) {
        const jobs = jobsOf(conversations, unit);
        log(`llm: ${conversations.characters} characters as ${jobs.length} ${unit} jobs`);
        // Timing is the median of a few ingestions on fresh homes; the counts are those of the last
        // one (the stand-in is deterministic, so every repetition makes the same calls).
        const llmMs: number[] = [];
        const passthroughMs: number[] = [];
        const usage = { prompt: 0, completion: 0 };
        let llm = { ms: 0, failed: 0, memories: 0 };
        let passthrough = llm;
        for (let round = 0; round < repetitions; round++) {
          model = new ScriptedMemoryModel();
          server.reset();
          llm = await measure(
            'llm',
            (home) => openLlm(home, server),
            jobs,
            async (mnemos) => {
              Object.assign(usage, await jobUsage(mnemos));
            },
          );
          llmMs.push(llm.ms);
          passthrough = await measure('passthrough', openPassthrough, jobs);
          passthroughMs.push(passthrough.ms);
        }
        const chats = server.requestsTo('/v1/chat/completions');
        const count = (kind: string): number => chats.filter((r) => callKind(r) === kind).length;
        runs.push({
          targetCharacters: target,
          unit,
          sessions: conversations.sessions.length,
          characters: conversations.characters,
          messages: conversations.messages,
          userMessages: conversations.userMessages,
          jobs: jobs.length,
          failedJobs: llm.failed,
          extractionCalls: count('extraction'),
          reconciliationCalls: count('reconciliation'),
          otherRequests: server.requests.length - chats.length + count('other'),
          promptCharacters: chats.reduce((sum, r) => sum + promptCharacters(r), 0),
          promptTokens: usage.prompt,
          completionTokens: usage.completion,
          script: { ...model.tally },
          llmSeconds: summarise(llmMs).p50 / 1000,
          llmMemories: llm.memories,
          passthroughSeconds: summarise(passthroughMs).p50 / 1000,
          passthroughMemories: passthrough.memories,
          passthroughFailedJobs: passthrough.failed,
        });
      }
    }
  } finally {
    await server.close();
  }
  return { repetitions, runs };
}
