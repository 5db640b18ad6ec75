import type { SkillRecord } from '../../core/skill-record.js';
import type { CatalogEntry } from '../../skills/skill-manager.js';

/** Longest description shown per skill in the catalog; the rest is read with skill_view. */
const catalogDescriptionChars = 200;
/** Most skills listed in the system prompt; skills_list shows them all. */
const catalogLimit = 100;

/**
 * The skills section of the system prompt: the catalog (name and description only, so it costs
 * tens of tokens per skill), how to load one, and, when the agent may write skills, when to save one.
 */
export function skillCatalogBlock(
  catalog: readonly CatalogEntry[],
  canManage: boolean,
): string | null {
  if (catalog.length === 0 && !canManage) return null;
  const lines = [
    'SKILLS',
    'Skills are saved procedures. Before you start a task, check whether a skill below fits it; if one does, load it with skill_view(name) and follow it.',
  ];
  if (catalog.length > 0) {
    lines.push('<available_skills>');
    for (const entry of catalog.slice(0, catalogLimit)) {
      lines.push(
        `<skill><name>${escapeXml(entry.name)}</name><description>${escapeXml(cut(entry.description))}</description></skill>`,
      );
    }
    if (catalog.length > catalogLimit) {
      lines.push(`<!-- ${catalog.length - catalogLimit} more: skills_list -->`);
    }
    lines.push('</available_skills>');
  }
  if (canManage) {
    lines.push(
      'After a task that took several tool calls, a tricky fix or a correction from the user, save the reusable procedure with skill_manage: patch a skill you loaded or one that covers this kind of task rather than creating a near-duplicate, and never save secrets or personal data in a skill.',
    );
  }
  return lines.join('\n');
}

/** Skills loaded for the whole session (`-s name`, `agent.skills.preload`), for the system prompt. */
export function preloadedSkillsBlock(skills: readonly SkillRecord[]): string | null {
  if (skills.length === 0) return null;
  return [
    'PRELOADED SKILLS (follow them where they apply)',
    ...skills.map((skill) => skillBlock(skill)),
  ].join('\n\n');
}

/**
 * The user message a `/skill-name instruction` turn sends the model: a note that the skill was
 * invoked, the whole SKILL.md, its supporting files, and the user's instruction. The system prompt
 * stays as it was, so the provider's prompt cache holds.
 */
export function invokedSkillMessage(skill: SkillRecord, instruction: string): string {
  return [
    `[The user invoked the skill "${skill.name}". Follow it for this request.]`,
    skillBlock(skill),
    instruction.trim() === ''
      ? 'The user gave no further instruction: apply the skill to the conversation so far, or ask what to apply it to.'
      : `The user's instruction: ${instruction.trim()}`,
  ].join('\n\n');
}

/** A `/name rest` message: the skill name and the rest, or null when the text is not one. */
export function parseSkillCommand(text: string): { name: string; instruction: string } | null {
  const match = /^\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return null;
  const name = (match[1] as string).toLowerCase().replaceAll('_', '-');
  return { name, instruction: match[2] ?? '' };
}

function skillBlock(skill: SkillRecord): string {
  const files = Object.keys(skill.files).filter((path) => path !== 'SKILL.md');
  const parts = [
    `<skill name="${escapeXml(skill.name)}">\n${skill.files['SKILL.md'] ?? ''}\n</skill>`,
  ];
  if (files.length > 0) {
    parts.push(
      `Supporting files of ${skill.name} (read with skill_view(name: "${skill.name}", file_path)): ${files.join(', ')}`,
    );
  }
  return parts.join('\n');
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= catalogDescriptionChars
    ? flat
    : `${flat.slice(0, catalogDescriptionChars - 1)}…`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
