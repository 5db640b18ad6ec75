import type { ModelMessage } from 'ai';
import { addUsage, type ChainedModel, noUsage, type TokenUsage } from '../../core/agent-events.js';
import type { SkillProvenance } from '../../core/skill-record.js';
import type { SkillManager } from '../../skills/skill-manager.js';
import { messageText } from '../context/token-estimate.js';
import { runTurnLoop } from '../loop/turn-loop.js';
import { type SkillChangeReport, SkillSession } from './skill-session.js';
import { skillManageTool, skillsListTool, skillViewTool } from './skill-tools.js';

/** When the background review runs, and how much it may do. */
export interface SkillReviewSettings {
  /** Tool-using turns between reviews; 0 turns the review off. */
  interval: number;
  /** Model steps one review may take. */
  maxIterations: number;
}

/** One finished turn, as the review counts and reads it. */
export interface ReviewedTurn {
  sessionId: string;
  /** What the user said (before recall was added). */
  user: string;
  /** Tools the turn called, in order. */
  tools: string[];
  /** The final answer. */
  answer: string;
  /** Tokens the session had used after the turn. */
  sessionUsage: TokenUsage;
}

/** What one review did, for the REPL's one-line report. */
export interface ReviewReport {
  sessionId: string;
  changes: SkillChangeReport[];
  /** The review's closing line. */
  summary: string;
  usage: TokenUsage;
  error?: string;
}

/** Longest transcript a review reads; older messages are dropped first. */
const transcriptChars = 24_000;
/** Longest tool result kept in the transcript the review reads. */
const toolResultChars = 1_500;

const reviewInstructions = `You maintain the skills of an AI agent: saved procedures it loads when a task fits them. You are given a conversation the agent just had. Decide whether it taught something reusable, and keep the skills useful.

In order of preference:
1. Patch a skill the conversation used, or one that already covers this kind of task (skills_list, then skill_view, then skill_manage patch).
2. Add a supporting file to such a skill (write_file).
3. Create a new skill only when none fits; make it an umbrella for the class of task (e.g. "deploy-node-service"), not a diary of this one conversation.
4. Do nothing when nothing reusable was learned (small talk, a one-off fact, a plain answer).

A SKILL.md starts with frontmatter: name (a-z, 0-9, single hyphens; equal to the skill's name) and description (what it does and when to use it), then sections: When to use, Procedure, Pitfalls, Verification. Write steps that worked, the commands and checks that mattered, and the mistakes to avoid. Never put secrets, tokens, personal data about the user, or instructions to ignore rules into a skill. You may change only skills the agent created. Finish with one short line saying what you did.`;

/**
 * The learning loop: after every `interval` tool-using turns, off the turn's path, a review with
 * the same model and only the skill tools reads what just happened and patches a skill, creates
 * one, or does nothing. Each change records the experience (session, task, tools, outcome, tokens)
 * as the skill's provenance. One review runs at a time; turns finished meanwhile wait for the next.
 */
export class SkillReviewer {
  private window: ReviewedTurn[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      manager: SkillManager;
      models: () => readonly ChainedModel[];
      settings: SkillReviewSettings;
      workspace: string;
      onReport?: (report: ReviewReport) => void;
    },
  ) {}

  /**
   * Counts a finished turn and starts a review when enough tool-using turns have passed. A turn
   * in which the agent itself changed a skill restarts the count (it just did the work).
   */
  afterTurn(turn: ReviewedTurn, history: readonly ModelMessage[]): void {
    if (this.options.settings.interval <= 0) return;
    if (turn.tools.includes('skill_manage')) {
      this.window = [];
      return;
    }
    if (turn.tools.length === 0) return;
    this.window.push(turn);
    if (this.window.length < this.options.settings.interval || this.running) return;
    const turns = this.window;
    this.window = [];
    const snapshot = [...history];
    this.running = this.review(turns, snapshot).finally(() => {
      this.running = null;
    });
  }

  /** Resolves when no review is running (before a one-shot process exits, in tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async review(turns: ReviewedTurn[], history: ModelMessage[]): Promise<void> {
    const last = turns[turns.length - 1] as ReviewedTurn;
    const changes: SkillChangeReport[] = [];
    const experience = (): Omit<SkillProvenance, 'action' | 'at'> => ({
      sessionId: last.sessionId,
      task: clip((turns[0] as ReviewedTurn).user, 300),
      tools: [...new Set(turns.flatMap((turn) => turn.tools))],
      outcome: clip(last.answer, 300),
      tokens: { input: last.sessionUsage.inputTokens, output: last.sessionUsage.outputTokens },
    });
    const session = new SkillSession(this.options.manager, 'review', experience, (change) =>
      changes.push(change),
    );
    const tools = [skillsListTool(session), skillViewTool(session), skillManageTool(session)];
    const controller = new AbortController();
    let usage = noUsage;
    try {
      const result = await runTurnLoop({
        models: this.options.models(),
        system: reviewInstructions,
        messages: [{ role: 'user', content: reviewRequest(history) }],
        tools,
        maxIterations: this.options.settings.maxIterations,
        signal: controller.signal,
        toolContext: {
          signal: controller.signal,
          sessionId: last.sessionId,
          workspace: this.options.workspace,
        },
        emit: () => {},
      });
      usage = addUsage(usage, result.usage);
      this.options.onReport?.({
        sessionId: last.sessionId,
        changes,
        summary: clip(result.text, 200),
        usage,
      });
    } catch (error) {
      this.options.onReport?.({
        sessionId: last.sessionId,
        changes,
        summary: '',
        usage,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The review's one message: the conversation as text, newest kept when it is long. */
function reviewRequest(history: readonly ModelMessage[]): string {
  const lines: string[] = [];
  let size = 0;
  for (let index = history.length - 1; index >= 0; index--) {
    const message = history[index] as ModelMessage;
    const text =
      message.role === 'tool' ? clip(messageText(message), toolResultChars) : messageText(message);
    const line = `[${message.role}] ${text}`;
    if (size + line.length > transcriptChars && lines.length > 0) break;
    lines.unshift(line);
    size += line.length;
  }
  return `<conversation>\n${lines.join('\n')}\n</conversation>\n\nReview it as instructed: patch, create or do nothing.`;
}

function clip(text: string, chars: number): string {
  const flat = text.trim();
  return flat.length <= chars ? flat : `${flat.slice(0, chars - 1)}…`;
}
