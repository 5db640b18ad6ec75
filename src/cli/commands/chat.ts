import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { Agent } from '../../agent/agent.js';
import type { Mnemos } from '../../mnemos.js';
import { LineQueue } from '../chat/line-queue.js';
import { EventRenderer } from '../chat/render-events.js';
import { Spinner, styleFor } from '../chat/style.js';
import { globals, homeOf } from '../support/context.js';
import { printJson } from '../support/output.js';

interface ChatOptions {
  query?: string;
  skills?: string[];
  resume?: string;
  user?: string;
  debug?: boolean;
  agent?: string;
}

/** `mnemos chat`: talk to the agent; it remembers across sessions. */
export function chatCommand(): Command {
  return new Command('chat')
    .description('chat with the agent (streaming, tools, long-term memory); -q for one answer')
    .option('-q, --query <text>', 'ask one question, print the answer and exit')
    .option('--resume <session>', 'continue a session (see /sessions)')
    .option(
      '-s, --skills <names>',
      'preload skills into the session (comma-separated; see mnemos skills list)',
      (value: string, previous: string[] = []) => [
        ...previous,
        ...value
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
      ],
    )
    .option('--agent <name>', 'chat with an agent of <home>/agents (see mnemos agents list)')
    .option('--user <id>', 'who is chatting (default: config tenant_id)')
    .option('--debug', 'show recall timing and other debug notices')
    .action(async (options: ChatOptions, command: Command) => {
      const json = globals(command).json ?? false;
      const home = homeOf(command);
      // The agent, the AI SDK and the engine load only when a chat starts, never for --help.
      const [{ Mnemos }, { createAgent }] = await Promise.all([
        import('../../mnemos.js'),
        import('../../agent/create-agent.js'),
      ]);
      const mnemos = await Mnemos.open({ home });
      const style = styleFor(process.stdout);
      const spinner = new Spinner();
      const userId = options.user ?? mnemos.config.tenant_id;
      // An unknown name fails before the REPL starts, naming the agents there are.
      const record = options.agent
        ? await mnemos.agents
            .local()
            .require(options.agent)
            .catch(async (error: unknown) => {
              await mnemos.close();
              throw error;
            })
        : null;
      const agentName =
        record?.definition.name ?? globals(command).profile ?? mnemos.config.agent_id;
      const lines =
        options.query === undefined
          ? new LineQueue(
              createInterface({
                input: process.stdin,
                terminal: Boolean(process.stdin.isTTY),
                output: process.stdout,
              }),
            )
          : null;
      let agent: Agent | undefined;
      try {
        agent = createAgent({
          mnemos,
          userId,
          agentName,
          ...(record
            ? {
                definition: record.definition,
                definitionOrigin: record.origin,
                ...(record.path ? { definitionDir: dirname(record.path) } : {}),
              }
            : {}),
          platform: 'cli',
          ...(lines
            ? {
                confirm: (question: string) =>
                  lines.confirm(`${style.yellow('?')} ${question} [y/N] `),
              }
            : {}),
          ...(options.skills ? { preloadSkills: options.skills } : {}),
          notify: (message: string) => {
            if (!json) process.stderr.write(`${style.dim(message)}\n`);
          },
          log: (level, message) => {
            if (level === 'warn' || options.debug)
              process.stderr.write(`${style.yellow('!')} ${message}\n`);
          },
        });
        if (options.resume) await agent.resume(options.resume);
        const renderer = new EventRenderer(style, spinner, options.debug ?? false);
        if (options.query !== undefined) {
          await oneShot(agent, options.query, renderer, json);
        } else {
          await repl(agent, mnemos, lines as LineQueue, renderer, { userId, agentName, style });
        }
      } finally {
        spinner.start('saving memories…');
        await agent?.close();
        await mnemos.close({ drain: true });
        spinner.stop();
        lines?.close();
      }
    });
}

async function oneShot(
  agent: Agent,
  query: string,
  renderer: EventRenderer,
  json: boolean,
): Promise<void> {
  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  try {
    if (!json) renderer.begin();
    const done = await agent.turn(query, {
      signal: controller.signal,
      ...(json ? {} : { onEvent: (event) => renderer.render(event) }),
    });
    if (json)
      printJson({
        session: done.sessionId,
        text: done.text,
        usage: done.usage,
        steps: done.steps,
        reason: done.reason,
        ...(done.error ? { error: done.error } : {}),
      });
    if (done.reason === 'failed' || done.reason === 'quota_exceeded') process.exitCode = 1;
  } finally {
    process.removeListener('SIGINT', cancel);
  }
}

async function repl(
  agent: Agent,
  mnemos: Mnemos,
  lines: LineQueue,
  renderer: EventRenderer,
  who: { userId: string; agentName: string; style: ReturnType<typeof styleFor> },
): Promise<void> {
  const { style } = who;
  const { runSlash } = await import('../chat/slash-commands.js');
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };
  const interactive = Boolean(process.stdin.isTTY);
  if (interactive)
    print(
      style.dim(
        `Mnemos chat — ${agent.models[0]?.name ?? 'no model'}. /help for commands, Ctrl-C cancels an answer, Ctrl-D leaves.`,
      ),
    );
  let current: AbortController | null = null;
  let interrupts = 0;
  const onInterrupt = (): void => {
    if (current) {
      current.abort();
      return;
    }
    interrupts++;
    if (interrupts >= 2) lines.end();
    else print(style.dim('(press Ctrl-C again, or type /quit, to leave)'));
  };
  lines.onInterrupt(onInterrupt);
  process.on('SIGINT', onInterrupt);
  try {
    for (;;) {
      const line = await lines.next(interactive ? style.green('you› ') : '');
      if (line === null) break;
      const text = line.trim();
      if (text === '') continue;
      interrupts = 0;
      if (text.startsWith('/')) {
        let outcome: Awaited<ReturnType<typeof runSlash>>;
        try {
          outcome = await runSlash(text, {
            agent,
            mnemos,
            owner: { appId: mnemos.config.app_id, tenantId: who.userId },
            agentName: who.agentName,
            style,
            print,
          });
        } catch (error) {
          print(style.red(`error: ${error instanceof Error ? error.message : String(error)}`));
          continue;
        }
        if (outcome === 'quit') break;
        if (outcome !== 'turn') continue;
      }
      current = new AbortController();
      renderer.begin();
      try {
        await agent.turn(text, {
          signal: current.signal,
          onEvent: (event) => renderer.render(event),
        });
      } finally {
        current = null;
      }
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
