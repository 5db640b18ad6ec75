import { MnemosError } from '../../core/errors.js';
import { parseCommand } from './shell-split.js';
import { dangerReason } from './terminal-danger.js';

/**
 * Which shell commands the agent may run. Patterns are globs over a whole simple command (`git *`,
 * `npm test*`; `*` matches anything, `?` one character) or regexes written `/…/flags`.
 */
export interface TerminalPolicy {
  /** When non-empty, every simple command of a line must match one of these. */
  allow: string[];
  /** A line with any part matching one of these is refused outright. */
  deny: string[];
  /** Ask the person (when someone can answer) instead of refusing dangerous or unlisted commands. */
  confirmDangerous: boolean;
}

/** What to do with a command, and why. */
export interface PolicyDecision {
  decision: 'allow' | 'deny' | 'confirm';
  reason: string;
}

/** A policy ready to judge command lines. */
export type CommandCheck = (command: string) => PolicyDecision;

interface Pattern {
  source: string;
  regex: RegExp;
}

function compilePattern(source: string, list: 'allow' | 'deny'): Pattern {
  const trimmed = source.trim();
  if (trimmed === '') {
    throw new MnemosError('config_error', `empty pattern in the terminal ${list} list`, {
      details: { list },
    });
  }
  const literal = /^\/(.+)\/([a-z]*)$/su.exec(trimmed);
  if (literal) {
    try {
      const flags = literal[2]!.replace(/[gy]/gu, '');
      return { source: trimmed, regex: new RegExp(literal[1]!, flags) };
    } catch (error) {
      throw new MnemosError(
        'config_error',
        `invalid regex ${trimmed} in the terminal ${list} list: ${(error as Error).message}`,
        { details: { list, pattern: trimmed }, cause: error },
      );
    }
  }
  const body = trimmed
    .replace(/\s+/gu, ' ')
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/u, '\\$&'),
    )
    .join('');
  return { source: trimmed, regex: new RegExp(`^${body}$`, 'su') };
}

function squeeze(text: string): string {
  return text.trim().replace(/\s+/gu, ' ');
}

/**
 * Compiles a policy once (invalid patterns throw MnemosError `config_error`) into a pure check.
 * Order: deny patterns (any part of the line, quoted strings included) → refused; built-in
 * dangerous commands → confirm, or refused when `confirmDangerous` is off; with an allow list,
 * any simple command not on it → confirm or refused by the same rule; otherwise allowed.
 */
export function compileTerminalPolicy(policy: TerminalPolicy): CommandCheck {
  const deny = policy.deny.map((source) => compilePattern(source, 'deny'));
  const allow = policy.allow.map((source) => compilePattern(source, 'allow'));
  const ask = (reason: string): PolicyDecision =>
    policy.confirmDangerous
      ? { decision: 'confirm', reason }
      : { decision: 'deny', reason: `${reason} (confirmation is off)` };

  return (command) => {
    const line = command.trim();
    if (line === '') return { decision: 'deny', reason: 'the command is empty' };
    const parsed = parseCommand(line);
    const subjects = [
      squeeze(line),
      ...parsed.commands.map((piece) => piece.text),
      ...parsed.quoted.map((piece) => piece.text),
    ];
    for (const pattern of deny) {
      const hit = subjects.find((subject) => pattern.regex.test(subject));
      if (hit !== undefined) {
        return { decision: 'deny', reason: `"${hit}" matches the deny pattern ${pattern.source}` };
      }
    }
    const danger = dangerReason(line, parsed);
    if (danger) return ask(`dangerous: the command ${danger}`);
    if (allow.length > 0) {
      const unlisted = parsed.commands.find(
        (piece) => !allow.some((pattern) => pattern.regex.test(piece.text)),
      );
      if (unlisted) return ask(`"${unlisted.text}" is not in the allow list`);
      return { decision: 'allow', reason: 'every part matches the allow list' };
    }
    return { decision: 'allow', reason: 'no rule refuses it' };
  };
}

/** One-off form of `compileTerminalPolicy(policy)(command)`. */
export function evaluateCommand(command: string, policy: TerminalPolicy): PolicyDecision {
  return compileTerminalPolicy(policy)(command);
}
