import { type Dirent, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { FileToolsOptions } from './file-tools.js';
import { formatBytes, looksBinary, sniffBytes } from './text-file.js';
import type { AgentTool } from './tool.js';
import { displayPath, resolveInWorkspace, withoutMountPoint } from './workspace-path.js';

/** Folders never searched: dependencies and version-control internals. */
export const skippedFolders: ReadonlySet<string> = new Set(['node_modules', '.git', '.hg', '.svn']);

const defaultMaxResults = 200;
const maxScannedFileBytes = 2 * 1024 * 1024;
const maxVisitedFiles = 50_000;
const maxLineChars = 200;

/**
 * A glob-ish file filter as a RegExp: `*` and `?` stay within one path segment, `**` crosses
 * folders, `{a,b}` picks alternatives. Case-insensitive, anchored.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      i += 1;
      if (glob[i + 1] === '/') {
        i += 1;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{' && glob.indexOf('}', i) > i) {
      const end = glob.indexOf('}', i);
      const options = glob.slice(i + 1, end).split(',');
      source += `(?:${options.map((option) => globToRegExp(option).source.slice(1, -1)).join('|')})`;
      i = end;
    } else {
      source += char.replace(/[.+^$()|[\]\\{}]/u, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'iu');
}

const searchSchema = z.object({
  query: z
    .string()
    .min(1)
    .optional()
    .describe('Text to find in file contents: a plain substring, case-insensitive.'),
  glob: z
    .string()
    .min(1)
    .optional()
    .describe(
      'File name filter such as `*.ts` or `src/**/*.test.ts`; without a `/` it matches the file name only.',
    ),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('Folder to search, relative to the workspace (default: the whole workspace).'),
});

interface Walk {
  matches: string[];
  visited: number;
  skippedLarge: number;
  full: boolean;
}

/** `search_files`: finds text in, or names of, the workspace's text files. */
export function searchFilesTool(
  options: FileToolsOptions = {},
): AgentTool<z.infer<typeof searchSchema>> {
  const maxResults = options.maxSearchResults ?? defaultMaxResults;
  return {
    name: 'search_files',
    description: `Search the workspace's text files. With query: lines containing it (case-insensitive), as path:line: text. With glob only: matching file paths. Skips node_modules, .git, binary files and symlinks; at most ${maxResults} results.`,
    toolset: 'file',
    schema: searchSchema,
    async execute(args, context) {
      if (args.query === undefined && args.glob === undefined) {
        throw new Error('give a query, a glob, or both');
      }
      const base = await resolveInWorkspace(
        context.workspace,
        withoutMountPoint(args.path ?? '.', options.mountPoint),
      );
      const info = await fs.stat(base.real).catch(() => undefined);
      if (!info) throw new Error(`${base.display} does not exist`);
      const filter = args.glob === undefined ? undefined : globToRegExp(args.glob);
      const byPath = args.glob?.includes('/') ?? false;
      const needle = args.query?.toLowerCase();
      const walk: Walk = { matches: [], visited: 0, skippedLarge: 0, full: false };

      const visitFile = async (file: string): Promise<void> => {
        const shown = displayPath(base.root, file);
        if (filter) {
          const subject = byPath ? shown : path.basename(file);
          const local = displayPath(base.real, file);
          if (!filter.test(subject) && !(byPath && filter.test(local))) return;
        }
        walk.visited += 1;
        if (needle === undefined) {
          walk.matches.push(shown);
          return;
        }
        const stats = await fs.stat(file);
        if (stats.size > maxScannedFileBytes) {
          walk.skippedLarge += 1;
          return;
        }
        const buffer = await fs.readFile(file);
        if (looksBinary(buffer.subarray(0, sniffBytes))) return;
        const lines = buffer.toString('utf8').split(/\r?\n/u);
        for (let i = 0; i < lines.length && walk.matches.length <= maxResults; i += 1) {
          const line = lines[i]!;
          if (!line.toLowerCase().includes(needle)) continue;
          const text = line.trim();
          const cut = text.length > maxLineChars ? `${text.slice(0, maxLineChars)}…` : text;
          walk.matches.push(`${shown}:${i + 1}: ${cut}`);
        }
      };

      const record = async (file: string): Promise<void> => {
        if (walk.matches.length > maxResults || walk.visited >= maxVisitedFiles) {
          walk.full = true;
          return;
        }
        await visitFile(file).catch(() => undefined);
        if (walk.matches.length > maxResults) walk.full = true;
      };

      if (info.isFile()) {
        await record(base.real);
      } else {
        const folders = [base.real];
        while (folders.length > 0 && !walk.full) {
          if (context.signal.aborted) throw new Error('search cancelled');
          const folder = folders.shift()!;
          const entries: Dirent[] = await fs
            .readdir(folder, { withFileTypes: true })
            .catch(() => []);
          entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          for (const entry of entries) {
            if (walk.full) break;
            const full = path.join(folder, entry.name);
            if (entry.isDirectory() && !skippedFolders.has(entry.name)) folders.push(full);
            else if (entry.isFile()) await record(full);
          }
        }
      }

      const notes: string[] = [];
      const shown = walk.matches.slice(0, maxResults);
      if (walk.full) {
        notes.push(
          walk.visited >= maxVisitedFiles
            ? `[stopped after ${maxVisitedFiles} files; narrow the search with path or glob]`
            : `[showing the first ${maxResults} results; narrow the search]`,
        );
      }
      if (walk.skippedLarge > 0) {
        notes.push(
          `[${walk.skippedLarge} files over ${formatBytes(maxScannedFileBytes)} were not searched]`,
        );
      }
      if (shown.length === 0) notes.unshift('no matches');
      return [...shown, ...notes].join('\n');
    },
  };
}
