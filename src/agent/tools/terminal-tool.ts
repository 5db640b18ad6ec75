import { realpath } from 'node:fs/promises';
import { z } from 'zod';
import type { CommandSandbox } from './command-sandbox.js';
import { runCommand } from './run-command.js';
import { compileTerminalPolicy, type TerminalPolicy } from './terminal-policy.js';
import { formatBytes } from './text-file.js';
import type { AgentTool } from './tool.js';

/** The terminal tool's permission policy plus its limits. */
export interface TerminalToolConfig extends TerminalPolicy {
  /** Timeout when the model gives none (default 30 s). */
  timeoutMs?: number;
  /** Longest timeout the model may ask for (default the larger of `timeoutMs` and 10 min). */
  maxTimeoutMs?: number;
  /** Cap of stdout and stderr together (default 16 KB); head and tail are kept. */
  maxOutputBytes?: number;
  /** Every command runs in this sandbox, or is refused when it cannot run; default unconfined. */
  sandbox?: CommandSandbox;
}

/** What the model gets back from a command. */
export interface TerminalResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
  truncated: boolean;
}

const schemaFor = (defaultSeconds: number, maxSeconds: number) =>
  z.object({
    command: z
      .string()
      .min(1)
      .describe('Shell command line, run with /bin/sh -c in the workspace.'),
    timeout: z
      .number()
      .positive()
      .max(maxSeconds)
      .optional()
      .describe(`Seconds before the command is killed (default ${defaultSeconds}).`),
  });

type TerminalArgs = z.infer<ReturnType<typeof schemaFor>>;

/**
 * `terminal`: runs a shell command in the workspace under a permission policy. Refused commands
 * throw (the message goes to the model) and never start; invalid policy patterns throw
 * MnemosError `config_error` here, at construction.
 */
export function terminalTool(config: TerminalToolConfig): AgentTool<TerminalArgs> {
  const check = compileTerminalPolicy(config);
  const timeoutMs = config.timeoutMs ?? 30_000;
  const maxTimeoutMs = config.maxTimeoutMs ?? Math.max(timeoutMs, 600_000);
  const maxOutputBytes = config.maxOutputBytes ?? 16 * 1024;
  const defaultSeconds = timeoutMs / 1000;
  return {
    name: 'terminal',
    description: `Run a shell command (/bin/sh -c) in the workspace and get its exit code and combined stdout+stderr (at most ${formatBytes(maxOutputBytes)}; the middle of longer output is cut). No stdin; use non-interactive flags. Killed after ${defaultSeconds} s unless timeout says otherwise. Background processes are stopped when the command ends. Dangerous commands need the user's confirmation or are refused.${config.sandbox ? ` ${config.sandbox.description}` : ''}`,
    toolset: 'terminal',
    schema: schemaFor(defaultSeconds, maxTimeoutMs / 1000),
    async execute(args, context): Promise<TerminalResult> {
      const verdict = check(args.command);
      if (verdict.decision === 'deny') throw new Error(`command refused: ${verdict.reason}`);
      if (verdict.decision === 'confirm') {
        if (!context.confirm) {
          throw new Error(`command refused: ${verdict.reason}, and nobody is here to confirm it`);
        }
        const allowed = await context.confirm(
          `Run this command?\n  ${args.command}\n(${verdict.reason})`,
        );
        if (!allowed) throw new Error(`command refused by the user (${verdict.reason})`);
      }
      if (context.signal.aborted) throw new Error('command cancelled before it started');
      const cwd = await realpath(context.workspace);
      const launch = config.sandbox ? await config.sandbox.launch(cwd) : undefined;
      const seconds = args.timeout ?? defaultSeconds;
      const result = await runCommand(args.command, {
        cwd,
        ...(launch ? { launch } : {}),
        timeoutMs: Math.min(seconds * 1000, maxTimeoutMs),
        maxOutputBytes,
        signal: context.signal,
      });
      if (result.aborted)
        throw new Error('command cancelled; it and its child processes were killed');
      const output = result.timedOut
        ? `${result.output}\n[timed out after ${seconds} s; the command and its child processes were killed]`
        : result.output;
      return {
        exitCode: result.exitCode,
        output,
        timedOut: result.timedOut,
        truncated: result.truncated,
      };
    },
  };
}
