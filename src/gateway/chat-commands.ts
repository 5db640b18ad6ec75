import type { TenantKey } from '../core/scope.js';
import type { Mnemos } from '../mnemos.js';

/** A slash command as typed: its name (lower-cased, without `@bot`) and the rest of the line. */
export interface SlashCommand {
  name: string;
  args: string;
}

/** The slash command a message starts with, or null for ordinary text. */
export function parseSlashCommand(text: string): SlashCommand | null {
  const match = /^\/([A-Za-z0-9_-]{1,64})(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return null;
  return { name: (match[1] as string).toLowerCase(), args: (match[2] ?? '').trim() };
}

/** The text of `/help`. */
export const helpText = [
  'Commands:',
  '/new or /reset — start a fresh conversation',
  '/memories [query] — what I remember about you (recent, or matching the query)',
  '/skills — the skills I have',
  '/<skill> [text] — answer with that skill loaded',
  '/whoami — your account and tenant',
  '/help — this list',
].join('\n');

/** Memories shown by `/memories`. */
const memoryLines = 10;

/** `/memories [query]`: the tenant's memories, the most recent or those matching the query. */
export async function memoriesReply(
  mnemos: Mnemos,
  tenant: TenantKey,
  query: string,
): Promise<string> {
  const scope = { appId: tenant.appId, tenantId: tenant.tenantId };
  const texts = query
    ? (await mnemos.memories.search({ scope, query, topK: memoryLines })).results.map(
        (result) => result.memory.text,
      )
    : (await mnemos.memories.list({ scope, limit: memoryLines })).memories.map(
        (memory) => memory.text,
      );
  if (texts.length === 0) return query ? `No memories match “${query}”.` : 'No memories yet.';
  return texts.map((text) => `- ${oneLine(text)}`).join('\n');
}

/** `/skills`: the tenant's skills, one line each. */
export async function skillsReply(mnemos: Mnemos, tenant: TenantKey): Promise<string> {
  const catalog = await mnemos.skills.forTenant(tenant).catalog();
  if (catalog.length === 0) return 'No skills yet.';
  return catalog
    .map(
      (entry) => `- /${entry.name}${entry.description ? ` — ${oneLine(entry.description)}` : ''}`,
    )
    .join('\n');
}

/** Whether the tenant has a skill of this name (so `/<name>` runs it). */
export async function hasSkill(mnemos: Mnemos, tenant: TenantKey, name: string): Promise<boolean> {
  return (await mnemos.skills.forTenant(tenant).find(name)) !== null;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
