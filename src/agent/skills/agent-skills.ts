import type { ModelMessage } from 'ai';
import type { ChainedModel, TokenUsage } from '../../core/agent-events.js';
import { MnemosError } from '../../core/errors.js';
import type { SkillRecord } from '../../core/skill-record.js';
import type { CatalogEntry, FoundSkill, SkillManager } from '../../skills/skill-manager.js';
import type { AnyTool } from '../tools/tool.js';
import {
  invokedSkillMessage,
  parseSkillCommand,
  preloadedSkillsBlock,
  skillCatalogBlock,
} from './skill-prompt.js';
import { type ReviewReport, SkillReviewer, type SkillReviewSettings } from './skill-review.js';
import { type SkillChangeReport, SkillSession } from './skill-session.js';
import { checkLoadable, skillManageTool, skillsListTool, skillViewTool } from './skill-tools.js';

/** How an agent uses skills; built by `createAgent` from `agent.skills` and the surface. */
export interface AgentSkillsOptions {
  manager: SkillManager;
  /** Offer skills_list and skill_view (the `skills` toolset), and the catalog in the prompt. */
  tools: boolean;
  /** Offer skill_manage too. */
  canManage: boolean;
  /** Skills loaded into the system prompt of every session. */
  preload: readonly string[];
  /** The learning loop, or null when it is off on this surface. */
  review: SkillReviewSettings | null;
  /** Archive the agent's own skills unused this many days when the agent starts; 0: never. */
  archiveAfterDays: number;
  models: () => readonly ChainedModel[];
  workspace: string;
  /** Lines about work done off the turn's path (a review's changes, archived skills). */
  notify?: (message: string) => void;
}

/** The current turn, as provenance of a skill the agent writes during it. */
interface CurrentTurn {
  sessionId: string;
  user: string;
  usage: TokenUsage;
}

/**
 * Skills inside one agent: the tools, the catalog and preloaded skills of the system prompt,
 * `/skill-name` messages, the background review after turns, and the curator's archiving.
 */
export class AgentSkills {
  private current: CurrentTurn | null = null;
  private readonly session: SkillSession;
  private readonly reviewer: SkillReviewer | null;
  private curated = false;

  constructor(private readonly options: AgentSkillsOptions) {
    this.session = new SkillSession(
      options.manager,
      'agent',
      () =>
        this.current && {
          sessionId: this.current.sessionId,
          task: this.current.user.slice(0, 300),
          tools: [],
          outcome: 'written by the agent during the turn',
          tokens: {
            input: this.current.usage.inputTokens,
            output: this.current.usage.outputTokens,
          },
        },
      (change) => this.notify(`skills: ${describeChange(change)}`),
    );
    this.reviewer = options.review
      ? new SkillReviewer({
          manager: options.manager,
          models: options.models,
          settings: options.review,
          workspace: options.workspace,
          onReport: (report) => this.reportReview(report),
        })
      : null;
  }

  /** The skill tools offered to the model. */
  tools(): AnyTool[] {
    if (!this.options.tools) return [];
    const tools = [skillsListTool(this.session), skillViewTool(this.session)];
    if (this.options.canManage) tools.push(skillManageTool(this.session));
    return tools;
  }

  /**
   * The system prompt's skill sections: the catalog and the preloaded skills. A preloaded skill
   * that does not exist, or whose scan says dangerous, fails the session's start.
   */
  async systemBlocks(): Promise<string[]> {
    await this.curate();
    const blocks: string[] = [];
    if (this.options.tools) {
      const catalog = skillCatalogBlock(await this.listable(), this.options.canManage);
      if (catalog) blocks.push(catalog);
    }
    const preloaded: SkillRecord[] = [];
    for (const name of this.options.preload) {
      preloaded.push(await this.preload(name));
    }
    const block = preloadedSkillsBlock(preloaded);
    if (block) blocks.push(block);
    return blocks;
  }

  /**
   * The message the model gets for a `/skill-name instruction` turn, or null when the text does
   * not name a skill (it then goes to the model as it is).
   */
  async expand(text: string): Promise<{ message: string; instruction: string } | null> {
    const command = parseSkillCommand(text);
    if (!command) return null;
    const found = await this.options.manager.find(command.name);
    if (found?.skill.status !== 'active') return null;
    const skill = await this.activate(found);
    this.session.markViewed(skill.name);
    return {
      message: invokedSkillMessage(skill, command.instruction),
      instruction: command.instruction,
    };
  }

  /** Marks the start of a turn (provenance of skills written during it). */
  startTurn(turn: CurrentTurn): void {
    this.current = turn;
  }

  /** Counts a finished turn for the learning loop. */
  afterTurn(
    turn: {
      sessionId: string;
      user: string;
      added: readonly ModelMessage[];
      answer: string;
      sessionUsage: TokenUsage;
    },
    history: readonly ModelMessage[],
  ): void {
    this.current = null;
    this.reviewer?.afterTurn(
      {
        sessionId: turn.sessionId,
        user: turn.user,
        tools: toolNames(turn.added),
        answer: turn.answer,
        sessionUsage: turn.sessionUsage,
      },
      history,
    );
  }

  /**
   * The catalog without skills whose description scans dangerous: descriptions of hand-written
   * and project skills were never scanned, and the catalog puts them in every prompt.
   */
  private async listable(): Promise<CatalogEntry[]> {
    const listed: CatalogEntry[] = [];
    for (const entry of await this.options.manager.catalog()) {
      if (this.options.manager.scan({ 'SKILL.md': entry.description }).verdict === 'dangerous') {
        this.notify(
          `skills: ${entry.name} (${entry.source}) left out of the catalog: its description scans dangerous`,
        );
        continue;
      }
      listed.push(entry);
    }
    return listed;
  }

  /** The skills available to this agent (active only). */
  catalog(): Promise<CatalogEntry[]> {
    return this.options.manager.catalog();
  }

  /** True when an active skill of that name exists. */
  async has(name: string): Promise<boolean> {
    const found = await this.options.manager.find(name);
    return found?.skill.status === 'active';
  }

  /** Resolves when no background review is running. */
  idle(): Promise<void> {
    return this.reviewer?.idle() ?? Promise.resolve();
  }

  private async preload(name: string): Promise<SkillRecord> {
    const found = await this.options.manager.find(name);
    if (found?.skill.status !== 'active') {
      const known = (await this.options.manager.catalog()).map((entry) => entry.name);
      throw new MnemosError(
        'not_found',
        `no skill named ${name} to load (preloaded); skills: ${known.length > 0 ? known.join(', ') : 'none'}`,
        { details: { name } },
      );
    }
    return this.activate(found);
  }

  /** Loads a found skill into the turn: refused when it scans dangerous, else marked used. */
  private async activate(found: FoundSkill): Promise<SkillRecord> {
    checkLoadable(found, this.options.manager);
    await this.options.manager.markUsed(found);
    return found.skill;
  }

  private async curate(): Promise<void> {
    if (this.curated || this.options.archiveAfterDays <= 0 || !this.options.manager.target) return;
    this.curated = true;
    try {
      const archived = await this.options.manager.archiveStale(this.options.archiveAfterDays, {
        origins: ['agent'],
      });
      if (archived.length > 0) {
        this.notify(
          `skills: archived ${archived.join(', ')} (unused for ${this.options.archiveAfterDays} days; \`mnemos skills restore NAME\` brings one back)`,
        );
      }
    } catch (error) {
      this.notify(
        `skills: archiving unused skills failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private reportReview(report: ReviewReport): void {
    if (report.error) {
      this.notify(`skills: the review after this session's turns failed: ${report.error}`);
      return;
    }
    for (const change of report.changes) this.notify(`skills: ${describeChange(change)}`);
  }

  private notify(message: string): void {
    this.options.notify?.(message);
  }
}

function describeChange(change: SkillChangeReport): string {
  const verb: Record<string, string> = {
    create: 'created',
    patch: 'patched',
    edit: 'rewrote',
    delete: 'deleted',
    write_file: 'added a file to',
    remove_file: 'removed a file from',
  };
  const who = change.actor === 'review' ? ' (learned from this session)' : '';
  return `${verb[change.action] ?? change.action} ${change.name}${who}`;
}

function toolNames(messages: readonly ModelMessage[]): string[] {
  const names: string[] = [];
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-call') names.push(part.toolName);
    }
  }
  return names;
}
