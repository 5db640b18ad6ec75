/** Session- and turn-level recall of retrieved turns against LongMemEval gold. */
export interface QuestionScores {
  /** Share of answer sessions among the sessions of the top 5 / top 10 retrieved turns. */
  sessionRecall5: number;
  sessionRecall10: number;
  /** 1 when at least one answer session is in the top 5 / top 10 turns' sessions. */
  sessionAny5: number;
  sessionAny10: number;
  /** 1 when every answer session is among the top 10 turns' sessions. */
  sessionAll10: number;
  /** Share of evidence turns (`has_answer`) in the top 10. */
  turnRecall10: number;
  /**
   * Share of answer sessions among the first 5 distinct sessions of a deeper turn ranking (top 50),
   * i.e. sessions ranked by their best turn: the usual session-level Recall@5.
   */
  rankedSessionRecall5: number;
}

/** Gold evidence of one question. */
export interface Gold {
  answerSessions: ReadonlySet<string>;
  answerTurns: ReadonlySet<string>;
}

/** A retrieved turn: its session id and turn key. */
export interface RetrievedTurn {
  sessionId: string;
  turnKey: string;
}

const metricKeys: Array<keyof QuestionScores> = [
  'sessionRecall5',
  'sessionRecall10',
  'sessionAny5',
  'sessionAny10',
  'sessionAll10',
  'turnRecall10',
  'rankedSessionRecall5',
];

function share(found: ReadonlySet<string>, gold: ReadonlySet<string>): number {
  if (gold.size === 0) return 0;
  let hits = 0;
  for (const item of gold) if (found.has(item)) hits++;
  return hits / gold.size;
}

function firstSessions(ranked: readonly RetrievedTurn[], count: number): Set<string> {
  const sessions = new Set<string>();
  for (const turn of ranked) {
    if (sessions.size === count) break;
    sessions.add(turn.sessionId);
  }
  return sessions;
}

/** Scores a top-10 list of turns (best first) and a deeper ranking of the same query (best first). */
export function scoreQuestion(
  top10: readonly RetrievedTurn[],
  deep: readonly RetrievedTurn[],
  gold: Gold,
): QuestionScores {
  const sessions5 = new Set(top10.slice(0, 5).map((turn) => turn.sessionId));
  const sessions10 = new Set(top10.slice(0, 10).map((turn) => turn.sessionId));
  const turns10 = new Set(top10.slice(0, 10).map((turn) => turn.turnKey));
  const recall5 = share(sessions5, gold.answerSessions);
  const recall10 = share(sessions10, gold.answerSessions);
  return {
    sessionRecall5: recall5,
    sessionRecall10: recall10,
    sessionAny5: recall5 > 0 ? 1 : 0,
    sessionAny10: recall10 > 0 ? 1 : 0,
    sessionAll10: recall10 === 1 ? 1 : 0,
    turnRecall10: share(turns10, gold.answerTurns),
    rankedSessionRecall5: share(firstSessions(deep, 5), gold.answerSessions),
  };
}

/** Field-wise mean of scores (zeros for an empty list). */
export function meanScores(list: readonly QuestionScores[]): QuestionScores {
  const out = Object.fromEntries(metricKeys.map((key) => [key, 0])) as unknown as QuestionScores;
  for (const scores of list) for (const key of metricKeys) out[key] += scores[key] / list.length;
  return out;
}
