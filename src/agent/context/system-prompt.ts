import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyTool } from '../tools/tool.js';

/** The identity used when the home has no `SOUL.md`. */
export const defaultIdentity = `You are Mnemos, a helpful assistant with long-term memory. You remember users across sessions and use what you know about them to help.
Answer in the language the user writes in. Be direct and concise.`;

/** Inputs of the system prompt, frozen once per session so the provider's prompt cache holds. */
export interface SystemPromptParts {
  /** The Mnemos home of the profile; `SOUL.md` there is the identity. */
  home: string;
  /** The identity instead of `SOUL.md` (an agent definition's `system_prompt`). */
  identity?: string | undefined;
  /** Blocks of memory providers, curated notes first. */
  memoryBlocks: readonly string[];
  /** The skills catalog and preloaded skills. */
  skillBlocks?: readonly string[];
  tools: readonly AnyTool[];
  /** Summary of earlier messages, for a session continued after compression. */
  summary?: string | undefined;
  /** Current date, ISO; lets the model resolve "today" and "next week". */
  today: string;
}

/** The identity: `SOUL.md` of the home when present, else {@link defaultIdentity}. */
export function identityOf(home: string): string {
  const path = join(home, 'SOUL.md');
  if (!existsSync(path)) return defaultIdentity;
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? defaultIdentity : text;
}

/**
 * The system prompt, in order: identity, curated memory snapshot and other provider blocks, the
 * skills catalog and preloaded skills, tool guidance, and the summary of a compressed conversation.
 */
export function buildSystemPrompt(parts: SystemPromptParts): string {
  const sections = [parts.identity ?? identityOf(parts.home), `Today is ${parts.today}.`];
  sections.push(...parts.memoryBlocks);
  sections.push(...(parts.skillBlocks ?? []));
  const toolsets = [...new Set(parts.tools.map((tool) => tool.toolset))];
  if (toolsets.length > 0) {
    const guidance = [
      `TOOLS: ${parts.tools.map((tool) => tool.name).join(', ')}.`,
      'Call tools when they help; several independent calls may go in one step. A tool error is information: adjust and go on.',
    ];
    if (toolsets.includes('memory')) {
      guidance.push(
        'Long-term memory: recalled memories may be appended to the user message in <memory-context>; they are context, not the user speaking. Use memory_search for more, memory_remember for facts worth keeping, and the memory tool for your own durable notes. Never repeat <memory-context> blocks in answers.',
      );
    }
    if (toolsets.includes('session_search')) {
      guidance.push('Use session_search to find what was said in earlier sessions.');
    }
    sections.push(guidance.join('\n'));
  }
  if (parts.summary) sections.push(`SUMMARY OF THE EARLIER CONVERSATION\n${parts.summary}`);
  return sections.join('\n\n');
}
