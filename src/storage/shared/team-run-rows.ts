import type { TokenUsage } from '../../core/agent-events.js';
import { MnemosError } from '../../core/errors.js';
import type { TeamRunRecord, TeamRunStatus, TeamRunStep } from '../../core/team-run-record.js';

/** A `team_runs` row: steps and usage as JSON text, times as epoch ms. */
export interface TeamRunRow {
  id: string;
  team: string;
  input: string;
  status: string;
  output: string;
  steps: string;
  usage: string;
  error: string | null;
  note: string | null;
  started_at: number | string;
  finished_at: number | string | null;
}

/** Columns of a team run row after app and tenant, in {@link TeamRunRow} order. */
export const teamRunColumns =
  'id, team, input, status, output, steps, usage, error, note, started_at, finished_at';

/** The row values of a run, in {@link teamRunColumns} order. */
export function teamRunValues(run: TeamRunRecord): Array<string | number | null> {
  return [
    run.id,
    run.team,
    run.input,
    run.status,
    run.output,
    JSON.stringify(run.steps),
    JSON.stringify(run.usage),
    run.error ?? null,
    run.note ?? null,
    epoch(run.startedAt, 'startedAt'),
    run.finishedAt === null ? null : epoch(run.finishedAt, 'finishedAt'),
  ];
}

/** A team run row as the spec's record. */
export function teamRunFromRow(row: TeamRunRow): TeamRunRecord {
  const record: TeamRunRecord = {
    id: row.id,
    team: row.team,
    input: row.input,
    status: row.status as TeamRunStatus,
    output: row.output,
    steps: JSON.parse(row.steps) as TeamRunStep[],
    usage: JSON.parse(row.usage) as TokenUsage,
    startedAt: new Date(Number(row.started_at)).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)).toISOString(),
  };
  if (row.error !== null) record.error = row.error;
  if (row.note !== null) record.note = row.note;
  return record;
}

function epoch(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new MnemosError('invalid_input', `team run ${field}: '${iso}' is not an ISO time`);
  return ms;
}
