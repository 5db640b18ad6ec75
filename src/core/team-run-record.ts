import type { TokenUsage } from './agent-events.js';

/** Where a team run stands: `stopped` means a limit ended it. */
export type TeamRunStatus = 'running' | 'succeeded' | 'failed' | 'stopped';

/** Where one step of a run stands. */
export type TeamStepStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** One step of a team run: a member's turn (a critic's rerun of a role is another round). */
export interface TeamRunStep {
  role: string;
  /** 1 for the first attempt; a step redone after a critique counts up. */
  round: number;
  status: TeamStepStatus;
  output: string;
  usage: TokenUsage;
  /** Model steps the turn took. */
  steps: number;
  error?: string;
  startedAt: string;
  finishedAt: string | null;
}

/** A run of a team on one input, as stored. */
export interface TeamRunRecord {
  id: string;
  /** The team's name. */
  team: string;
  input: string;
  status: TeamRunStatus;
  /** The result: the last step's output, or the approved one. */
  output: string;
  steps: TeamRunStep[];
  usage: TokenUsage;
  /** Why the run failed or stopped (`max_turns ...`, `interrupted`). */
  error?: string;
  /** How a successful run ended early, e.g. `approved by critic`. */
  note?: string;
  startedAt: string;
  finishedAt: string | null;
}
