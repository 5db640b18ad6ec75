/** One simple command found in a command line. */
export interface ShellPiece {
  /** Its words with quotes and backslash escapes removed. */
  words: string[];
  /** The words joined by single spaces: what permission patterns are matched against. */
  text: string;
}

/**
 * A command line taken apart for permission checks. Not a shell parser: it over-splits on purpose,
 * so that a checker looking at every piece sees at least everything the shell would run.
 */
export interface ParsedCommand {
  /**
   * Simple commands: the line split at `;`, `&`, `&&`, `||`, `|`, newlines and parentheses, plus
   * the contents of every `$(…)`, backtick and `<(…)` / `>(…)`, recursively.
   */
  commands: ShellPiece[];
  /**
   * Every quoted string parsed as if it were a command line too (for `sh -c '…'`, `eval "…"`);
   * used for danger and deny checks only, since most quoted strings are plain arguments.
   */
  quoted: ShellPiece[];
}

const maxDepth = 8;
const separators = new Set([';', '&', '|', '\n', '(', ')']);
const blanks = new Set([' ', '\t', '\r']);
/** Reserved words that may precede a command without being one. */
const leadingKeywords = new Set([
  '{',
  '}',
  '!',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  'time',
  'esac',
]);

/** Index of the `)` closing the `(` at `open`, skipping quoted text; `src.length` if unclosed. */
function closingParen(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i += 1) {
    const char = src[i];
    if (char === '\\') i += 1;
    else if (char === "'") {
      const end = src.indexOf("'", i + 1);
      i = end < 0 ? src.length : end;
    } else if (char === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      i = j;
    } else if (char === '(') depth += 1;
    else if (char === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return src.length;
}

function closingBacktick(src: string, open: number): number {
  for (let i = open + 1; i < src.length; i += 1) {
    if (src[i] === '\\') i += 1;
    else if (src[i] === '`') return i;
  }
  return src.length;
}

function scan(src: string, out: ParsedCommand, depth: number, quoted: boolean): void {
  const nested = (inner: string, asQuoted: boolean): void => {
    if (depth < maxDepth && inner.trim() !== '') scan(inner, out, depth + 1, asQuoted);
  };
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endPiece = (): void => {
    endWord();
    let start = 0;
    while (start < words.length && leadingKeywords.has(words[start]!)) start += 1;
    const kept = words.slice(start);
    if (kept.length > 0)
      (quoted ? out.quoted : out.commands).push({ words: kept, text: kept.join(' ') });
    words = [];
  };

  let i = 0;
  while (i < src.length) {
    const char = src[i]!;
    const next = src[i + 1];
    if (char === '\\') {
      if (next !== undefined && next !== '\n') word += next;
      inWord = true;
      i += 2;
    } else if (char === "'") {
      const end = src.indexOf("'", i + 1);
      const stop = end < 0 ? src.length : end;
      const content = src.slice(i + 1, stop);
      word += content;
      inWord = true;
      nested(content, true);
      i = stop + 1;
    } else if (char === '"') {
      let j = i + 1;
      let content = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) {
          content += src[j + 1];
          j += 2;
        } else if (src[j] === '$' && src[j + 1] === '(') {
          const end = closingParen(src, j + 1);
          nested(src.slice(j + 2, end), false);
          content += src.slice(j, end + 1);
          j = end + 1;
        } else if (src[j] === '`') {
          const end = closingBacktick(src, j);
          nested(src.slice(j + 1, end), false);
          content += src.slice(j, end + 1);
          j = end + 1;
        } else {
          content += src[j];
          j += 1;
        }
      }
      word += content;
      inWord = true;
      nested(content, true);
      i = j + 1;
    } else if ((char === '$' || char === '<' || char === '>') && next === '(') {
      const end = closingParen(src, i + 1);
      nested(src.slice(i + 2, end), false);
      word += src.slice(i, end + 1);
      inWord = true;
      i = end + 1;
    } else if (char === '`') {
      const end = closingBacktick(src, i);
      nested(src.slice(i + 1, end), false);
      word += src.slice(i, end + 1);
      inWord = true;
      i = end + 1;
    } else if (char === '&' && (src[i - 1] === '>' || next === '>')) {
      word += char;
      inWord = true;
      i += 1;
    } else if (separators.has(char)) {
      endPiece();
      i += 1;
    } else if (blanks.has(char)) {
      endWord();
      i += 1;
    } else {
      word += char;
      inWord = true;
      i += 1;
    }
  }
  endPiece();
}

/** Takes a command line apart into the simple commands it may run; see `ParsedCommand`. */
export function parseCommand(command: string): ParsedCommand {
  const out: ParsedCommand = { commands: [], quoted: [] };
  scan(command, out, 0, false);
  const unique = (pieces: ShellPiece[]): ShellPiece[] => {
    const seen = new Set<string>();
    return pieces.filter((piece) => !seen.has(piece.text) && seen.add(piece.text));
  };
  return { commands: unique(out.commands), quoted: unique(out.quoted) };
}

/** Last path segment of a command word: `/usr/bin/sudo` → `sudo`. */
export function commandName(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash < 0 ? word : word.slice(slash + 1);
}

/** Commands that run the command after them (`env X=1 sudo …`, `nohup rm …`, `sh -c …`). */
const wrappers = new Set([
  'env',
  'command',
  'builtin',
  'exec',
  'nohup',
  'nice',
  'ionice',
  'timeout',
  'stdbuf',
  'xargs',
  'sudo',
  'doas',
  'chroot',
  'unbuffer',
  'setsid',
  'watch',
  'eval',
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
]);

/**
 * Indexes of the words of a piece that are in command position: the first word after variable
 * assignments, and, after a wrapper such as `env`, `nohup`, `sudo` or `sh -c`, the first word
 * after the wrapper's options and numbers as well.
 */
export function commandHeadIndexes(words: readonly string[]): number[] {
  const heads: number[] = [];
  let i = 0;
  while (i < words.length) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/u.test(words[i]!)) {
      i += 1;
      continue;
    }
    heads.push(i);
    if (!wrappers.has(commandName(words[i]!))) break;
    i += 1;
    while (i < words.length && /^(?:-|\d[\d.]*[smhd]?$)/u.test(words[i]!)) i += 1;
  }
  return heads;
}
