import { join } from 'node:path';
import { MnemosError } from '../../core/errors.js';
import type { MemoryProvider, MemoryWrite, ProviderSession } from '../providers/memory-provider.js';
import type { AnyTool } from '../tools/tool.js';
import { CuratedNotes, DEFAULT_MEMORY_LIMIT, DEFAULT_USER_LIMIT } from './curated-notes.js';
import type { LockOptions } from './notes-file.js';
import { type NotesResult, refused } from './notes-results.js';
import { applyMemoryAction, createMemoryTool, type MemoryToolArgs } from './notes-tool.js';

/** Settings of the built-in curated notes provider. */
export interface CuratedNotesProviderOptions {
  /** Folder of `MEMORY.md` and `USER.md`; default `<home>/memories` of the session. */
  dir?: string | undefined;
  memoryLimit?: number | undefined;
  userLimit?: number | undefined;
  lock?: LockOptions | undefined;
  /**
   * Called after every successful write, in order, so the MemoryManager can mirror it to other
   * providers' `onMemoryWrite`. Its failures are swallowed: the write itself has landed, and the
   * callback is expected to log its own errors.
   */
  onWrite?: ((write: MemoryWrite) => void | Promise<void>) | undefined;
}

/** The line above the notes in the system prompt, saying what they are and how fresh. */
export const CURATED_NOTES_HEADING =
  'Curated notes you saved in earlier sessions (as of the start of this session; the memory tool changes them for the next one):';

/**
 * Hermes' built-in memory as a MemoryProvider named `curated`: the notes are rendered once at
 * `initialize` into a frozen system-prompt block (writes during the session change the files, not
 * the block, so the cached prompt prefix stays stable), and the `memory` tool writes them, only in
 * `primary` sessions.
 */
export class CuratedNotesProvider implements MemoryProvider {
  readonly name = 'curated';
  private readonly options: CuratedNotesProviderOptions;
  private session: ProviderSession | null = null;
  private store: CuratedNotes | null = null;
  private frozen = '';

  constructor(options: CuratedNotesProviderOptions = {}) {
    this.options = options;
  }

  async initialize(session: ProviderSession): Promise<void> {
    const store = new CuratedNotes({
      dir: this.options.dir ?? join(session.home, 'memories'),
      memoryLimit: this.options.memoryLimit,
      userLimit: this.options.userLimit,
      lock: this.options.lock,
    });
    this.frozen = await store.snapshot();
    this.store = store;
    this.session = session;
  }

  /** The notes of this session, fixed at `initialize`. */
  systemPromptBlock(): string {
    return `${CURATED_NOTES_HEADING}\n\n${this.frozen}`;
  }

  tools(): AnyTool[] {
    const limits = {
      memory: this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      user: this.options.userLimit ?? DEFAULT_USER_LIMIT,
    };
    return [createMemoryTool(limits, (args) => this.write(args))];
  }

  /** The live notes behind the provider (for the CLI and tests); throws before `initialize`. */
  get notes(): CuratedNotes {
    return this.ready().store;
  }

  /** Runs one `memory` call: refused outside primary sessions, mirrored through `onWrite`. */
  async write(args: MemoryToolArgs): Promise<NotesResult> {
    const { session, store } = this.ready();
    if (session.agentContext !== 'primary') {
      return refused(
        args.target,
        await store.entries(args.target),
        store.limit(args.target),
        'read_only',
        `Curated notes are read-only in a ${session.agentContext} run; only the primary conversation writes them. Nothing was saved; mention the fact in your answer instead.`,
      );
    }
    const result = await applyMemoryAction(store, args);
    if (result.ok && this.options.onWrite) {
      try {
        await this.options.onWrite({
          action: result.action,
          target: result.target,
          content: result.entry,
        });
      } catch {
        // See onWrite: mirroring is best effort and never turns a saved write into a failure.
      }
    }
    return result;
  }

  private ready(): { session: ProviderSession; store: CuratedNotes } {
    if (this.session === null || this.store === null) {
      throw new MnemosError('closed', 'CuratedNotesProvider used before initialize()', {
        category: 'system',
      });
    }
    return { session: this.session, store: this.store };
  }
}
