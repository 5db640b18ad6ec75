import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, chown, type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { searchFilesTool } from './search-files.js';
import { formatBytes, looksBinary, sniffBytes } from './text-file.js';
import type { AgentTool, AnyTool } from './tool.js';
import {
  assertOpenedInside,
  openInWorkspace,
  resolveInWorkspace,
  withoutMountPoint,
} from './workspace-path.js';

/** Limits of the file toolset. */
export interface FileToolsOptions {
  /** Most bytes `read_file` returns in one call (default 100 KB). */
  maxReadBytes?: number;
  /** Largest content `write_file` accepts (default 1 MB). */
  maxWriteBytes?: number;
  /** Most matches `search_files` returns (default 200). */
  maxSearchResults?: number;
  /**
   * Owner given to files and folders `write_file` creates (a sandbox user, when the server runs as
   * root), so sandboxed commands can change them; default the server's own user.
   */
  owner?: { uid: number; gid: number };
  /** Where the workspace appears to sandboxed commands (`/workspace`); such paths mean its files. */
  mountPoint?: string;
}

const defaultReadBytes = 100 * 1024;
const defaultWriteBytes = 1024 * 1024;

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

async function sniff(handle: FileHandle): Promise<Uint8Array> {
  const buffer = Buffer.alloc(sniffBytes);
  const { bytesRead } = await handle.read(buffer, 0, sniffBytes, 0);
  return buffer.subarray(0, bytesRead);
}

function cutToBytes(text: string, maxBytes: number): string {
  return Buffer.from(text)
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/u, '');
}

const readSchema = z.object({
  path: z.string().min(1).describe('File path, relative to the workspace.'),
  offset: z.number().int().min(1).optional().describe('First line to return, 1-based (default 1).'),
  limit: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Most lines to return (default: up to the cap).'),
});

/** `read_file`: a text file of the workspace, by line range, capped in size. */
export function readFileTool(
  options: FileToolsOptions = {},
): AgentTool<z.infer<typeof readSchema>> {
  const maxBytes = options.maxReadBytes ?? defaultReadBytes;
  return {
    name: 'read_file',
    description: `Read a text file in the workspace. Returns its lines (at most ${formatBytes(maxBytes)} per call); use offset and limit to page through long files. Binary files are refused.`,
    toolset: 'file',
    schema: readSchema,
    async execute(args, context) {
      const target = await resolveInWorkspace(
        context.workspace,
        withoutMountPoint(args.path, options.mountPoint),
      );
      const info = await statOrUndefined(target.real);
      if (!info) throw new Error(`file ${target.display} does not exist`);
      if (info.isDirectory()) {
        throw new Error(`${target.display} is a directory; use search_files to list its files`);
      }
      if (!info.isFile()) throw new Error(`${target.display} is not a regular file`);
      if (info.size === 0) return '[empty file]';
      const handle = await openInWorkspace(target, args.path);
      try {
        if (looksBinary(await sniff(handle))) {
          throw new Error(
            `${target.display} is a binary file (${formatBytes(info.size)}); read_file only shows text`,
          );
        }
        const start = args.offset ?? 1;
        const stream = handle.createReadStream({ encoding: 'utf8', start: 0, autoClose: false });
        const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
        const out: string[] = [];
        let lineNumber = 0;
        let bytes = 0;
        let note = '';
        try {
          for await (const line of lines) {
            if (context.signal.aborted) throw new Error('read cancelled');
            lineNumber += 1;
            if (lineNumber < start) continue;
            const next = lineNumber;
            if (args.limit !== undefined && out.length === args.limit) {
              note = `[more lines follow; continue with offset=${next}]`;
              break;
            }
            const size = Buffer.byteLength(line) + 1;
            if (bytes + size > maxBytes) {
              if (out.length === 0) {
                out.push(cutToBytes(line, maxBytes));
                note = `[line ${next} is longer than the ${formatBytes(maxBytes)} cap and was cut; continue with offset=${next + 1}]`;
              } else {
                note = `[output capped at ${formatBytes(maxBytes)}: showed lines ${start}-${next - 1}; continue with offset=${next}]`;
              }
              break;
            }
            out.push(line);
            bytes += size;
          }
        } finally {
          lines.close();
          stream.destroy();
        }
        if (out.length === 0) return `[${target.display} has only ${lineNumber} lines]`;
        return note ? `${out.join('\n')}\n${note}` : out.join('\n');
      } finally {
        await handle.close();
      }
    },
  };
}

const writeSchema = z.object({
  path: z.string().min(1).describe('File path, relative to the workspace.'),
  content: z.string().describe('The complete new content of the file.'),
});

/** `write_file`: creates or replaces a workspace file atomically (temp file + rename). */
export function writeFileTool(
  options: FileToolsOptions = {},
): AgentTool<z.infer<typeof writeSchema>> {
  const maxBytes = options.maxWriteBytes ?? defaultWriteBytes;
  return {
    name: 'write_file',
    description: `Create or overwrite a file in the workspace with the given content (at most ${formatBytes(maxBytes)}). Parent folders are created. The whole file is replaced.`,
    toolset: 'file',
    schema: writeSchema,
    async execute(args, context) {
      const bytes = Buffer.byteLength(args.content);
      if (bytes > maxBytes) {
        throw new Error(
          `content is ${formatBytes(bytes)}; write_file accepts at most ${formatBytes(maxBytes)}`,
        );
      }
      const target = await resolveInWorkspace(
        context.workspace,
        withoutMountPoint(args.path, options.mountPoint),
      );
      const existing = await statOrUndefined(target.real);
      if (target.display === '.' || existing?.isDirectory()) {
        throw new Error(`${target.display} is a directory`);
      }
      const folder = path.dirname(target.real);
      const firstCreated = await mkdir(folder, { recursive: true });
      if (options.owner && firstCreated) {
        const { uid, gid } = options.owner;
        for (let created = folder; ; created = path.dirname(created)) {
          await chown(created, uid, gid);
          if (created === firstCreated || created === path.dirname(created)) break;
        }
      }
      const temp = path.join(
        folder,
        `.${path.basename(target.real)}.${randomBytes(6).toString('hex')}.tmp`,
      );
      try {
        const handle = await open(temp, 'wx');
        try {
          // The folder may have been swapped for a symlink since it was checked.
          await assertOpenedInside(handle, target.root, args.path);
          await handle.writeFile(args.content);
        } finally {
          await handle.close();
        }
        if (existing) await chmod(temp, existing.mode & 0o7777);
        if (options.owner) await chown(temp, options.owner.uid, options.owner.gid);
        await rename(temp, target.real);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      return `${existing ? 'overwrote' : 'created'} ${target.display} (${formatBytes(bytes)})`;
    },
  };
}

/** The `file` toolset: read_file, write_file and search_files. */
export function fileTools(options: FileToolsOptions = {}): AnyTool[] {
  return [readFileTool(options), writeFileTool(options), searchFilesTool(options)];
}
