import type { SkillActor, SkillChangeAction, SkillProvenance } from '../../core/skill-record.js';
import type { SkillManager } from '../../skills/skill-manager.js';

/** A change the agent made to a skill, reported to whoever shows it (the REPL prints a line). */
export interface SkillChangeReport {
  action: SkillChangeAction;
  name: string;
  actor: SkillActor;
}

/**
 * What the skill tools of one agent share: the skills, who is acting, the files read so far (the
 * agent must read what it changes), and the experience to record as provenance.
 */
export class SkillSession {
  private readonly viewed = new Set<string>();

  constructor(
    readonly manager: SkillManager,
    readonly actor: Exclude<SkillActor, 'user'>,
    /** The experience behind a change, for the skill's provenance; none outside a session. */
    private readonly experience: () => Omit<SkillProvenance, 'action' | 'at'> | null,
    private readonly onChange: (report: SkillChangeReport) => void = () => {},
  ) {}

  /** Records that a file (default SKILL.md) of a skill was read. */
  markViewed(name: string, path = 'SKILL.md'): void {
    this.viewed.add(`${name}/${path}`);
  }

  /** True when that file was read in this session. */
  hasViewed(name: string, path = 'SKILL.md'): boolean {
    return this.viewed.has(`${name}/${path}`);
  }

  /** The provenance entry for a change made now. */
  provenance(action: SkillChangeAction): SkillProvenance | undefined {
    const experience = this.experience();
    return experience ? { ...experience, action, at: new Date().toISOString() } : undefined;
  }

  /** Reports a change that was stored. */
  changed(action: SkillChangeAction, name: string): void {
    this.onChange({ action, name, actor: this.actor });
  }
}
