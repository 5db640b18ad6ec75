import type { Agent } from '../../agent/agent.js';
import { messageText } from '../../agent/context/token-estimate.js';
import { chainedModelFor } from '../../agent/create-agent.js';
import type { Mnemos } from '../../mnemos.js';
import { clip } from '../support/output.js';
import type { Style } from './style.js';

/** What a slash command may use. */
export interface SlashContext {
  agent: Agent;
  mnemos: Mnemos;
  owner: { appId: string; tenantId: string };
  agentName: string;
  style: Style;
  print: (text: string) => void;
}

/** The REPL's commands and what they do, for `/help`. */
export const slashHelp: ReadonlyArray<[string, string]> = [
  ['/new', 'start a new session (the current one stays, /load brings it back)'],
  ['/reset', 'clear the conversation context: same as /new'],
  ['/sessions', 'list recent sessions'],
  ['/load <id>', 'continue a session'],
  ['/remember <text>', 'store something in long-term memory now'],
  ['/memories', "show the user's profile and recent memories"],
  ['/history', 'show the messages of this session'],
  [
    '/model [name]',
    'show the model chain, or switch (e.g. /model qwen-plus, /model ollama/qwen2.5:7b)',
  ],
  ['/tools', 'list the tools the model can call'],
  ['/skills', 'list the skills; /<skill-name> [instruction] uses one for this message'],
  ['/help', 'this list'],
  ['/quit', 'save and leave (also /exit, Ctrl-D)'],
];

/**
 * Runs one slash command; returns `quit` when the REPL should end, and `turn` when the line names a
 * skill (`/skill-name instruction`) and should go to the agent as a turn.
 */
export async function runSlash(
  line: string,
  context: SlashContext,
): Promise<'quit' | 'turn' | undefined> {
  const [name = '', ...rest] = line.trim().split(/\s+/);
  const argument = line.trim().slice(name.length).trim();
  const { agent, mnemos, owner, style, print } = context;
  switch (name) {
    case '/quit':
    case '/exit':
      return 'quit';
    case '/help':
      for (const [command, text] of slashHelp) print(`${style.bold(command.padEnd(18))} ${text}`);
      return;
    case '/new':
    case '/reset': {
      const session = await agent.newSession();
      print(style.dim(`new session ${session.id}${name === '/reset' ? ' (context cleared)' : ''}`));
      return;
    }
    case '/sessions': {
      const sessions = await mnemos.sessions.list(owner, { limit: 20 });
      if (sessions.length === 0) print(style.dim('no sessions yet'));
      for (const session of sessions) {
        const current = session.id === agent.sessionId ? style.green(' (current)') : '';
        print(
          `${session.id}  ${session.updatedAt.slice(0, 16).replace('T', ' ')}  ${session.messageCount} msgs  ${session.title}${current}`,
        );
      }
      return;
    }
    case '/load': {
      if (!rest[0]) {
        print(style.yellow('usage: /load <session id> (see /sessions)'));
        return;
      }
      const session = await agent.resume(rest[0]);
      print(
        style.dim(
          `continuing session ${session.id} (${session.messageCount} messages): ${session.title}`,
        ),
      );
      for (const message of agent.messages.slice(-4))
        print(style.dim(`${message.role}: ${clip(messageText(message), 160)}`));
      return;
    }
    case '/remember': {
      if (argument === '') {
        print(style.yellow('usage: /remember <text>'));
        return;
      }
      const job = await mnemos.memories.add({
        scope: { ...owner, agentId: context.agentName, runId: agent.sessionId ?? 'default' },
        text: argument,
        metadata: { source: 'slash_remember' },
        sync: true,
      });
      print(
        job.status === 'succeeded'
          ? style.green(`remembered (${job.memoryIds.join(', ')})`)
          : style.red(`not remembered: ${job.error ?? job.status}`),
      );
      return;
    }
    case '/memories': {
      const [profile, listed] = await Promise.all([
        mnemos.profile.get(owner),
        mnemos.memories.list({ scope: { ...owner, agentId: '*', runId: '*' }, limit: 10 }),
      ]);
      if (profile.length > 0) print(style.bold('profile'));
      for (const entry of profile) print(`  ${entry.key}: ${entry.value}`);
      print(style.bold(`memories (${listed.total}, newest first)`));
      for (const memory of listed.memories)
        print(
          `  ${style.dim(memory.id.slice(0, 8))} ${memory.text} ${style.dim(`(${memory.kind})`)}`,
        );
      return;
    }
    case '/history':
      if (agent.messages.length === 0) print(style.dim('no messages in this session yet'));
      for (const message of agent.messages)
        print(`${style.bold(message.role)}: ${clip(messageText(message), 400)}`);
      return;
    case '/model':
      if (argument !== '') {
        agent.setModels([chainedModelFor(mnemos, argument), ...agent.models.slice(1)]);
      }
      print(
        agent.models
          .map(
            (model, index) =>
              `${index === 0 ? 'primary ' : 'fallback'} ${model.name} (${model.toolProtocol})`,
          )
          .join('\n'),
      );
      return;
    case '/tools':
      for (const tool of agent.toolList)
        print(
          `${style.bold(tool.name.padEnd(16))} ${style.dim(`[${tool.toolset}]`)} ${clip(tool.description, 90)}`,
        );
      return;
    case '/skills': {
      const catalog = (await agent.skills?.catalog()) ?? [];
      if (catalog.length === 0) print(style.dim('no skills yet (mnemos skills --help)'));
      for (const entry of catalog)
        print(
          `${style.bold(`/${entry.name}`.padEnd(24))} ${style.dim(`[${entry.source}]`)} ${clip(entry.description, 80)}`,
        );
      return;
    }
    default:
      if (await agent.skills?.has(name.slice(1).toLowerCase().replaceAll('_', '-'))) return 'turn';
      print(style.yellow(`unknown command ${name}; /help lists them, /skills the skills`));
  }
}
