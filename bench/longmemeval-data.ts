import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Where the LongMemEval-S dev split lives on this machine. */
export const longMemEvalPath = '/work/shared/datasets/longmemeval/longmemeval_s_dev.json.gz';

/** One question of LongMemEval-S as stored in the file. */
export interface LongMemEvalQuestion {
  question_id: string;
  question_type: string;
  question: string;
  answer: unknown;
  question_date: string;
  haystack_session_ids: string[];
  haystack_dates: string[];
  haystack_sessions: Array<
    Array<{ role: 'user' | 'assistant'; content: string; has_answer?: boolean }>
  >;
  answer_session_ids: string[];
}

/** One haystack turn, addressed by session id and position within the session. */
export interface Turn {
  /** `${sessionId}#${turnIndex}`. */
  key: string;
  sessionId: string;
  turnIndex: number;
  role: 'user' | 'assistant';
  content: string;
  hasAnswer: boolean;
}

/** Loads the gzipped JSON and drops abstention questions (`_abs`), which have no evidence to retrieve. */
export function loadLongMemEval(path = longMemEvalPath): LongMemEvalQuestion[] {
  const all = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as LongMemEvalQuestion[];
  return all.filter((question) => !question.question_id.endsWith('_abs'));
}

/** Every non-empty turn of every haystack session of a question. */
export function turnsOf(question: LongMemEvalQuestion): Turn[] {
  const turns: Turn[] = [];
  question.haystack_sessions.forEach((session, sessionIndex) => {
    const sessionId = question.haystack_session_ids[sessionIndex]!;
    session.forEach((message, turnIndex) => {
      if (message.content.trim() === '') return;
      turns.push({
        key: `${sessionId}#${turnIndex}`,
        sessionId,
        turnIndex,
        role: message.role,
        content: message.content,
        hasAnswer: message.has_answer === true,
      });
    });
  });
  return turns;
}

/**
 * Questions in round-robin order over question types (each type in file order), so a run cut short
 * by its time budget still covers every type evenly.
 */
export function interleaveByType(questions: readonly LongMemEvalQuestion[]): LongMemEvalQuestion[] {
  const byType = new Map<string, LongMemEvalQuestion[]>();
  for (const question of questions)
    byType.set(question.question_type, [...(byType.get(question.question_type) ?? []), question]);
  const queues = [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, list]) => list);
  const out: LongMemEvalQuestion[] = [];
  for (let round = 0; out.length < questions.length; round++) {
    for (const queue of queues) if (round < queue.length) out.push(queue[round]!);
  }
  return out;
}
