import type { AddMemoriesInput, SearchResult } from '../src/index.js';
import { limits, Mnemos } from '../src/index.js';
import { Bm25Index } from './bm25.js';
import {
  interleaveByType,
  type LongMemEvalQuestion,
  loadLongMemEval,
  type Turn,
  turnsOf,
} from './longmemeval-data.js';
import {
  type Gold,
  meanScores,
  type QuestionScores,
  type RetrievedTurn,
  scoreQuestion,
} from './retrieval-metrics.js';
import { cpuMs, type Latency, log, nowMs, summarise } from './stats.js';
import { tempHome } from './temp-home.js';

/** Per-type and overall recall of the engine and the BM25 baseline. */
export interface QualityRow {
  questionType: string;
  questions: number;
  engine: QuestionScores;
  bm25: QuestionScores;
}

/** Figures of the LongMemEval-S section. */
export interface LongMemEvalFigures {
  questionsAvailable: number;
  questionsMeasured: number;
  /** True when the time budget stopped the run before every question was measured. */
  budgetExhausted: boolean;
  budgetSeconds: number;
  turns: number;
  /** Memories the engine stored (long turns are split into several). */
  memories: number;
  failedJobs: number;
  overall: QualityRow;
  byType: QualityRow[];
  engineIngestSeconds: number;
  engineIngestCpuSeconds: number;
  engineIngestTurnsPerSecond: number;
  engineSearch: Latency;
  bm25IndexSeconds: number;
  bm25Search: Latency;
  wallSeconds: number;
}

const appId = 'longmemeval';
const maxRequestCharacters = 32_000;
const quickQuestions = 3;
/** Depth of the second search that ranks sessions by their best turn (the API's largest topK). */
const deepK = limits.maxTopK;

/** One add request per turn (a turn above the request limit becomes several, same metadata). */
function turnInputs(question: LongMemEvalQuestion, turns: readonly Turn[]): AddMemoriesInput[] {
  const inputs: AddMemoriesInput[] = [];
  for (const turn of turns) {
    for (let start = 0; start < turn.content.length; start += maxRequestCharacters) {
      const text = turn.content.slice(start, start + maxRequestCharacters);
      if (text.trim() === '') continue;
      inputs.push({
        scope: { appId, tenantId: question.question_id, agentId: 'default', runId: turn.sessionId },
        text,
        metadata: {
          session_id: turn.sessionId,
          turn_index: String(turn.turnIndex),
          has_answer: String(turn.hasAnswer),
          role: turn.role,
        },
      });
    }
  }
  return inputs;
}

/** Turns of engine results, read back from the metadata written at ingest. */
function engineTurns(results: readonly SearchResult[]): RetrievedTurn[] {
  return results.map(({ memory }) => ({
    sessionId: memory.metadata.session_id ?? '',
    turnKey: `${memory.metadata.session_id}#${memory.metadata.turn_index}`,
  }));
}

function goldOf(question: LongMemEvalQuestion, turns: readonly Turn[]): Gold {
  return {
    answerSessions: new Set(question.answer_session_ids),
    answerTurns: new Set(turns.filter((turn) => turn.hasAnswer).map((turn) => turn.key)),
  };
}

function rows(type: string, engine: QuestionScores[], bm25: QuestionScores[]): QualityRow {
  return {
    questionType: type,
    questions: engine.length,
    engine: meanScores(engine),
    bm25: meanScores(bm25),
  };
}

/**
 * Retrieval quality on LongMemEval-S dev: per question a fresh tenant holding every turn as its own
 * memory, searched with the question (top 10, all agents and runs), against plain BM25 over the same
 * turns. Questions run round-robin by type until `budgetSeconds` is spent.
 */
export async function runLongMemEval(options: {
  quick: boolean;
  budgetSeconds: number;
}): Promise<LongMemEvalFigures> {
  const wallStart = nowMs();
  const all = loadLongMemEval();
  const ordered = interleaveByType(all).slice(0, options.quick ? quickQuestions : all.length);
  const home = tempHome('longmemeval');
  const mnemos = await Mnemos.open({ home, config: { app_id: appId } });
  const engineScores = new Map<string, QuestionScores[]>();
  const bm25Scores = new Map<string, QuestionScores[]>();
  const engineSearchMs: number[] = [];
  const bm25SearchMs: number[] = [];
  let ingestMs = 0;
  let ingestCpuMs = 0;
  let bm25IndexMs = 0;
  let turnCount = 0;
  let memories = 0;
  let failedJobs = 0;
  let measured = 0;
  try {
    for (const question of ordered) {
      if (measured > 0 && (nowMs() - wallStart) / 1000 > options.budgetSeconds) break;
      const turns = turnsOf(question);
      const gold = goldOf(question, turns);
      const tenant = { appId, tenantId: question.question_id };

      const ingestStart = nowMs();
      const ingestCpuStart = cpuMs();
      await mnemos.memories.addMany(turnInputs(question, turns));
      await mnemos.drain();
      ingestMs += nowMs() - ingestStart;
      ingestCpuMs += cpuMs() - ingestCpuStart;
      failedJobs += (
        await mnemos.memories.jobs({ scope: tenant, states: ['failed'], limit: 1_000 })
      ).length;
      memories += (
        await mnemos.memories.list({ scope: { ...tenant, agentId: '*', runId: '*' }, limit: 1 })
      ).total;

      const scope = { ...tenant, agentId: '*', runId: '*' };
      const searchStart = nowMs();
      const top = await mnemos.memories.search({ scope, query: question.question, topK: 10 });
      engineSearchMs.push(nowMs() - searchStart);
      const deep = await mnemos.memories.search({ scope, query: question.question, topK: deepK });

      const indexStart = nowMs();
      const bm25 = new Bm25Index();
      for (const turn of turns) bm25.add(turn.content);
      bm25IndexMs += nowMs() - indexStart;
      const bm25Start = nowMs();
      const hits = bm25.search(question.question, 10);
      bm25SearchMs.push(nowMs() - bm25Start);
      const bm25Turns = (list: typeof hits): RetrievedTurn[] =>
        list.map((hit) => ({ sessionId: turns[hit.id]!.sessionId, turnKey: turns[hit.id]!.key }));

      const type = question.question_type;
      const engineScore = scoreQuestion(engineTurns(top.results), engineTurns(deep.results), gold);
      const bm25Score = scoreQuestion(
        bm25Turns(hits),
        bm25Turns(bm25.search(question.question, deepK)),
        gold,
      );
      engineScores.set(type, [...(engineScores.get(type) ?? []), engineScore]);
      bm25Scores.set(type, [...(bm25Scores.get(type) ?? []), bm25Score]);
      turnCount += turns.length;
      measured++;
      if (measured % 10 === 0 || measured === ordered.length) {
        log(
          `longmemeval: ${measured}/${ordered.length} questions, ${turnCount} turns, ${((nowMs() - wallStart) / 1000).toFixed(0)} s`,
        );
      }
    }
  } finally {
    await mnemos.close();
  }
  const typesSeen = [...engineScores.keys()].sort();
  return {
    questionsAvailable: all.length,
    questionsMeasured: measured,
    budgetExhausted: measured < ordered.length,
    budgetSeconds: options.budgetSeconds,
    turns: turnCount,
    memories,
    failedJobs,
    overall: rows('all', [...engineScores.values()].flat(), [...bm25Scores.values()].flat()),
    byType: typesSeen.map((type) => rows(type, engineScores.get(type)!, bm25Scores.get(type)!)),
    engineIngestSeconds: ingestMs / 1000,
    engineIngestCpuSeconds: ingestCpuMs / 1000,
    engineIngestTurnsPerSecond: (turnCount * 1000) / Math.max(1, ingestMs),
    engineSearch: summarise(engineSearchMs),
    bm25IndexSeconds: bm25IndexMs / 1000,
    bm25Search: summarise(bm25SearchMs),
    wallSeconds: (nowMs() - wallStart) / 1000,
  };
}
