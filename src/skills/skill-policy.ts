import type { SkillActor, SkillOrigin } from '../core/skill-record.js';
import type { SkillVerdict } from './skill-scan.js';

/** How far a change is trusted: the agent's own writes least, installs from elsewhere next, people most. */
export type SkillTrust = 'agent' | 'install' | 'user';

/** What the scan verdict means for a change: save it, refuse it, or save it only when forced. */
export type ScanDecision = 'allow' | 'block' | 'needs_force';

/** The trust of a change by this actor to a skill of this origin. */
export function trustOf(actor: SkillActor, origin: SkillOrigin): SkillTrust {
  if (actor !== 'user') return 'agent';
  return origin === 'installed' ? 'install' : 'user';
}

/**
 * The scan policy: the agent may save only what scans safe; an install needs `--force` for a
 * caution verdict; a person's own writes are refused only when dangerous. A dangerous verdict is
 * never forced.
 */
export function scanDecision(
  trust: SkillTrust,
  verdict: SkillVerdict,
  force: boolean,
): ScanDecision {
  if (verdict === 'safe') return 'allow';
  if (verdict === 'dangerous') return 'block';
  if (trust === 'agent') return 'block';
  if (trust === 'install') return force ? 'allow' : 'needs_force';
  return 'allow';
}
