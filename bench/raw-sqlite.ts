import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BuiltinEmbedder } from '../src/index.js';
import { indexTokens } from '../src/text/tokenizer.js';
import type { SyntheticMemory } from './corpus.js';
import { nowMs, perSecond } from './stats.js';

/** A row as the raw baseline writes it: what any engine must at least compute and store. */
interface RawRow {
  id: string;
  memory: SyntheticMemory;
  tokens: string;
  embedding: Buffer;
}

/** Raw better-sqlite3 baseline: the same rows (text, FTS5 row, embedding blob), no engine around them. */
export class RawSqliteBaseline {
  private readonly db: Database.Database;
  private readonly embedder = new BuiltinEmbedder({ dimensions: 256 });
  private readonly insertRow: Database.Statement;
  private readonly insertFts: Database.Statement;

  constructor(home: string) {
    this.db = new Database(join(home, 'raw.db'));
    // Same durability settings as the engine's SQLite storage.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE memories (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL,
        run_id TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, embedding BLOB NOT NULL, created_at INTEGER NOT NULL);
      CREATE VIRTUAL TABLE memories_fts USING fts5(tokens, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
    `);
    this.insertRow = this.db.prepare(
      'INSERT INTO memories (id, agent_id, run_id, text, metadata, embedding, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertFts = this.db.prepare('INSERT INTO memories_fts (rowid, tokens) VALUES (?, ?)');
  }

  /** Tokenises and embeds rows (the CPU part of ingestion). */
  prepare(memories: readonly SyntheticMemory[]): RawRow[] {
    return memories.map((memory) => {
      const vector = this.embedder.embedOne(memory.text);
      return {
        id: randomUUID(),
        memory,
        tokens: indexTokens(memory.text).join(' '),
        embedding: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
      };
    });
  }

  /** Inserts rows (memory row + FTS row) in one transaction. */
  insert(rows: readonly RawRow[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const row of rows) {
        const { memory } = row;
        const result = this.insertRow.run(
          row.id,
          memory.agentId,
          memory.runId,
          memory.text,
          JSON.stringify({ lang: memory.lang }),
          row.embedding,
          now,
        );
        this.insertFts.run(result.lastInsertRowid, row.tokens);
      }
    })();
  }

  /** Batch figures: rows/s for tokenise + embed + insert, and for the insert transaction alone. */
  measureBatch(memories: readonly SyntheticMemory[]): {
    endToEndPerSecond: number;
    insertOnlyPerSecond: number;
  } {
    const start = nowMs();
    const rows = this.prepare(memories);
    const prepared = nowMs();
    this.insert(rows);
    const end = nowMs();
    return {
      endToEndPerSecond: perSecond(rows.length, end - start),
      insertOnlyPerSecond: perSecond(rows.length, end - prepared),
    };
  }

  /** Latency in ms of one row done alone: tokenise, embed, insert and commit (one durable transaction). */
  singleRowMs(memory: SyntheticMemory): number {
    const start = nowMs();
    this.insert(this.prepare([memory]));
    return nowMs() - start;
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
