import { Command } from 'commander';
import type { SessionMessagePart } from '../../core/session-record.js';
import { integer } from '../support/arguments.js';
import {
  globals,
  tenantOwner as owner,
  type ScopeOptions,
  tenantFlags,
  withMnemos,
} from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';
import { sessionsCleanupCommand } from './cleanup.js';

/** One tool part as a line: a call with its arguments, a result with what it returned. */
function partLine(part: SessionMessagePart): string {
  const cut =
    part.truncatedFrom === undefined ? '' : ` (truncated from ${part.truncatedFrom} characters)`;
  if (part.type === 'tool-call')
    return `→ ${part.toolName} ${clip(JSON.stringify(part.input ?? null), 300)}${cut}`;
  const output =
    typeof part.output === 'string' ? part.output : JSON.stringify(part.output ?? null);
  return `${part.isError ? '✗' : '←'} ${part.toolName}: ${clip(output, 300)}${cut}`;
}

/** `mnemos sessions …`: conversation history. */
export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description(
    'session history: list, show, search, cleanup',
  );

  tenantFlags(sessions.command('list'))
    .description('list sessions, most recent first')
    .option('-n, --limit <n>', 'how many', integer, 20)
    .action(async (options: ScopeOptions & { limit: number }, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const list = await mnemos.sessions.list(owner(mnemos, options), { limit: options.limit });
          if (globals(command).json) return printJson({ sessions: list, count: list.length });
          printTable(
            ['id', 'title', 'messages', 'updated'],
            list.map((session) => [
              session.id,
              session.title,
              session.messageCount,
              session.updatedAt,
            ]),
            'no sessions yet',
          );
        },
        { processJobs: false },
      );
    });

  tenantFlags(sessions.command('show'))
    .description('print the messages of a session')
    .argument('<id>')
    .option('-n, --limit <n>', 'how many', integer, 100)
    .action(async (id: string, options: ScopeOptions & { limit: number }, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const messages = await mnemos.sessions.messages(owner(mnemos, options), id, {
            limit: options.limit,
          });
          if (globals(command).json) return printJson({ messages, count: messages.length });
          for (const message of messages) {
            const content =
              message.parts.length > 0 && message.role === 'tool' ? '' : message.content;
            process.stdout.write(`[${message.seq}] ${message.role}: ${content}\n`);
            for (const part of message.parts) process.stdout.write(`    ${partLine(part)}\n`);
          }
        },
        { processJobs: false },
      );
    });

  tenantFlags(sessions.command('search'))
    .description('keyword search over past messages (Chinese works)')
    .argument('<query...>')
    .option('-n, --limit <n>', 'how many', integer, 10)
    .action(
      async (words: string[], options: ScopeOptions & { limit: number }, command: Command) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const hits = await mnemos.sessions.search(owner(mnemos, options), words.join(' '), {
              limit: options.limit,
            });
            if (globals(command).json) return printJson({ results: hits, count: hits.length });
            printTable(
              ['session', 'seq', 'role', 'content'],
              hits.map((hit) => [hit.sessionId, hit.seq, hit.role, clip(hit.content, 70)]),
              'no messages found',
            );
          },
          { processJobs: false },
        );
      },
    );
  sessions.addCommand(sessionsCleanupCommand());
  return sessions;
}
