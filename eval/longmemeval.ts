import { loadLongMemEval, turnsOf } from '../bench/longmemeval-data.js';
import type { Dataset, Tenant } from './dataset.js';

/**
 * LongMemEval-S dev (150 questions, abstention questions dropped): one tenant per question holding
 * every turn as a unit grouped by session; gold turns are `has_answer`, gold groups the answer sessions.
 */
export function loadLongMemEvalDataset(): Dataset {
  const tenants: Tenant[] = loadLongMemEval().map((question) => {
    const turns = turnsOf(question);
    return {
      id: question.question_id,
      units: turns.map((turn) => ({ id: turn.key, text: turn.content, group: turn.sessionId })),
      queries: [
        {
          category: question.question_type,
          text: question.question,
          gold: new Set(turns.filter((turn) => turn.hasAnswer).map((turn) => turn.key)),
          goldGroups: new Set(question.answer_session_ids),
        },
      ],
    };
  });
  return { name: 'longmemeval', language: 'words', tenants };
}
