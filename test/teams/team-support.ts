import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TeamDefinitionInput } from '../../src/core/team-definition.js';
import type { ChatRequest } from '../support/model-server.js';

/** A member whose system prompt names its role, so the model server can tell steps apart. */
export function member(role: string, extra: Partial<TeamMemberInput> = {}): TeamMemberInput {
  return { role, system_prompt: `You are the ${role} of the team.`, ...extra };
}

type TeamMemberInput = TeamDefinitionInput['agents'][number];

/** Writes `<home>/teams/<name>.yaml`. */
export function writeTeam(
  home: string,
  name: string,
  team: Omit<TeamDefinitionInput, 'name'>,
): void {
  mkdirSync(join(home, 'teams'), { recursive: true });
  writeFileSync(join(home, 'teams', `${name}.yaml`), stringify(team));
}

/** The role a chat request was made for (from its system prompt), or null (memory calls). */
export function roleOf(request: ChatRequest): string | null {
  const first = request.messages?.[0];
  const text = first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
  return /You are the ([a-z0-9-]+) of the team\./.exec(text)?.[1] ?? null;
}

/** The last user message of a chat request, as text. */
export function lastUser(request: ChatRequest): string {
  const users = (request.messages ?? []).filter((message) => message.role === 'user');
  const content = users.at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/** Resolves after `ms`, without holding the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
