import * as path from 'node:path';
import {
  commandHeadIndexes,
  commandName,
  type ParsedCommand,
  type ShellPiece,
} from './shell-split.js';

/** Top-level folders whose recursive deletion or permission change breaks the machine. */
const systemFolders = new Set(
  'bin boot dev etc home lib lib32 lib64 opt proc root run sbin srv sys usr var System Users Library Applications private'.split(
    ' ',
  ),
);
const rootLike = new Set(['/', '/*', '~', '~/*', '$HOME', '$HOME/*', '*', '.', '..', '../*']);
const switchUser = new Set(['sudo', 'su', 'doas', 'pkexec', 'runuser']);
const diskTools = new Set(['mke2fs', 'mkswap', 'fdisk', 'sfdisk', 'cfdisk', 'parted', 'wipefs']);
const powerCommands = new Set(['shutdown', 'reboot', 'halt', 'poweroff']);
const powerVerbs = new Set(['poweroff', 'reboot', 'halt', 'kexec', 'suspend', 'hibernate']);
const safeDevices = new Set(['/dev/null', '/dev/zero', '/dev/stdout', '/dev/stderr', '/dev/tty']);
/** Commands that change every path argument they get. */
const writersOfAll = new Set(
  'tee mv truncate touch rm rmdir unlink mkdir chmod chown chgrp patch shred'.split(' '),
);
/** Commands whose last path argument is the one written. */
const copiers = new Set(['cp', 'install', 'ln', 'rsync', 'scp']);

/** Patterns over the raw command line, for dangers that span pieces or hide in odd syntax. */
const rawDangers: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /\b(?:curl|wget|fetch)\b[^\n]*\|\s*(?:(?:sudo|env|exec|command|doas)\s+(?:-\S+\s+)*)?(?:\S*\/)?(?:(?:ba|z|da|k|c|tc|fi|a)?sh|python[\d.]*|perl|ruby|node)\b/u,
    'pipes a download into a shell',
  ],
  [
    /\b(?:(?:ba|z|da|k)?sh|source|eval)\b[^\n]*(?:<\(|\$\(|`)\s*(?:curl|wget)\b/u,
    'runs a downloaded script',
  ],
  [
    />\|?\s*["']?\/dev\/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|r?disk\d|md\d|dm-\d|mapper\/|loop\d)/u,
    'writes directly to a disk device',
  ],
  [/>\|?\s*["']?\/etc(?:[/\s"']|$)/u, 'writes to /etc'],
];

function normaliseTarget(raw: string): string {
  const word = raw.replace(/\$\{HOME\}/gu, () => '$HOME');
  if (word.startsWith('/')) return path.posix.normalize(word).replace(/(.)\/$/u, '$1');
  return word.replace(/\/+$/u, '') || word;
}

function isRootLike(word: string): boolean {
  const target = normaliseTarget(word);
  if (rootLike.has(target)) return true;
  const match = /^\/([^/]+)(?:\/\*)?$/u.exec(target);
  return match !== null && systemFolders.has(match[1]!);
}

function touchesEtc(word: string): boolean {
  const value = word.includes('=') ? word.slice(word.indexOf('=') + 1) : word;
  return /^\/etc(?:\/|$)/u.test(normaliseTarget(value));
}

/** Reason the command word of a piece (behind any wrappers) is dangerous in itself. */
function headDanger(words: readonly string[]): string | undefined {
  const indexes = commandHeadIndexes(words);
  const asUser = indexes.map((i) => commandName(words[i]!)).find((name) => switchUser.has(name));
  if (asUser) return `runs a command as another user (${asUser})`;
  const last = indexes[indexes.length - 1] ?? -1;
  const command = last < 0 ? '' : commandName(words[last]!);
  const verb = words[last + 1] ?? '';
  if (/^mkfs(?:\.|$)/u.test(command) || diskTools.has(command)) {
    return 'formats or partitions a disk';
  }
  const power =
    powerCommands.has(command) ||
    (command === 'init' && (verb === '0' || verb === '6')) ||
    ((command === 'systemctl' || command === 'loginctl') && powerVerbs.has(verb));
  return power ? 'shuts down or restarts the machine' : undefined;
}

/** Reason `name` run with `args` is dangerous; `name` may sit anywhere (`find … -exec rm …`). */
function callDanger(name: string, args: readonly string[]): string | undefined {
  const flags = args.filter((arg) => arg.startsWith('-'));
  const operands = args.filter((arg) => !arg.startsWith('-'));
  const target = operands.find(isRootLike);
  if (name === 'rm') {
    if (args.includes('--no-preserve-root')) return 'deletes with --no-preserve-root';
    const recursive = flags.some((f) => f === '--recursive' || /^-[a-zA-Z]*[rR]/u.test(f));
    if (recursive && target !== undefined) return `recursively deletes ${target}`;
  }
  if (name === 'chmod' || name === 'chown' || name === 'chgrp') {
    const recursive = flags.some((f) => f === '--recursive' || /^-[a-zA-Z]*R/u.test(f));
    if (recursive && target !== undefined) return `recursively changes permissions of ${target}`;
  }
  if (name === 'dd') {
    const output = args.find((arg) => arg.startsWith('of='))?.slice(3);
    if (output?.startsWith('/dev/') && !safeDevices.has(output)) {
      return 'writes raw data to a device';
    }
    if (output !== undefined && touchesEtc(output)) return 'writes to /etc';
  }
  if (writersOfAll.has(name) && args.some(touchesEtc)) return 'writes to /etc';
  const inPlace = flags.some((f) => /^-[a-zA-Z]*i|^--in-place/u.test(f));
  if (name === 'sed' && inPlace && operands.some(touchesEtc)) return 'writes to /etc';
  if (copiers.has(name)) {
    const destination = operands[operands.length - 1];
    const targetDir = args.find((arg, k) => args[k - 1] === '-t' || arg.startsWith('--target'));
    if ([destination, targetDir].some((arg) => arg !== undefined && touchesEtc(arg))) {
      return 'writes to /etc';
    }
  }
  return undefined;
}

/** Reason a piece is dangerous by its words, if it is. */
function pieceDanger({ words }: ShellPiece): string | undefined {
  const reason = headDanger(words);
  if (reason) return reason;
  for (let i = 0; i < words.length; i += 1) {
    const found = callDanger(commandName(words[i]!), words.slice(i + 1));
    if (found) return found;
  }
  return undefined;
}

/**
 * Why a command line is dangerous, or undefined when nothing built in flags it. Checks every
 * simple command, every quoted string of several words read as a command, and the raw line; one
 * dangerous piece anywhere makes the whole line dangerous.
 */
export function dangerReason(raw: string, parsed: ParsedCommand): string | undefined {
  const squeezed = raw.replace(/\s+/gu, '');
  if (/([A-Za-z_:][\w:]*)\(\)\{[^}]*\1\|\1&/u.test(squeezed)) return 'is a fork bomb';
  for (const [pattern, reason] of rawDangers) if (pattern.test(raw)) return reason;
  const quotedCommands = parsed.quoted.filter((piece) => piece.words.length > 1);
  for (const piece of [...parsed.commands, ...quotedCommands]) {
    const reason = pieceDanger(piece);
    if (reason) return reason;
  }
  return undefined;
}
