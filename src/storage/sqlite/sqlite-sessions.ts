import { MnemosError } from '../../core/errors.js';
import type { TenantKey } from '../../core/scope.js';
import type { SessionMessage, SessionRecord } from '../../core/session-record.js';
import type { NewSessionMessage, Page, SessionStorage } from '../../spec/storage.js';
import {
  type MessageRow,
  matchExpression,
  messageFromRow,
  partitionToken,
  type SessionRow,
  sessionFromRow,
} from '../shared/rows.js';
import { yieldBetweenBatches } from './expire-sql.js';
import type { Statements } from './statements.js';

/** Sessions deleted per committed batch of `expireIdle`. */
const expireSessionBatch = 200;

const sessionColumns =
  'app_id, tenant_id, id, agent_id, title, metadata, parent_id, message_count, created_at, updated_at';
const messageColumns = 'id, session_id, seq, role, content, name, metadata, parts, created_at';

/** Session messages share the memory partition scheme under a reserved store name. */
export function messagePartition(tenant: TenantKey): string {
  return partitionToken('\u0000sessions', tenant.appId, tenant.tenantId);
}

/** Session history of the SQLite backend. */
export class SqliteSessions implements SessionStorage {
  constructor(private readonly statements: Statements) {}

  async create(session: SessionRecord): Promise<SessionRecord> {
    return this.statements.write(() => {
      try {
        this.statements
          .get(
            `INSERT INTO sessions (app_id, tenant_id, id, agent_id, title, metadata, parent_id, message_count, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
          )
          .run(
            session.appId,
            session.tenantId,
            session.id,
            session.agentId,
            session.title,
            JSON.stringify(session.metadata),
            session.parentId,
            Date.parse(session.createdAt),
            Date.parse(session.updatedAt),
          );
      } catch (error) {
        if (String(error).includes('UNIQUE')) {
          throw new MnemosError('already_exists', `session ${session.id} already exists`, {
            details: { id: session.id },
          });
        }
        throw error;
      }
      return this.find(session, session.id)!;
    });
  }

  async get(tenant: TenantKey, id: string): Promise<SessionRecord | null> {
    return this.find(tenant, id);
  }

  private find(tenant: TenantKey, id: string): SessionRecord | null {
    const row = this.statements
      .get(`SELECT ${sessionColumns} FROM sessions WHERE app_id = ? AND tenant_id = ? AND id = ?`)
      .get(tenant.appId, tenant.tenantId, id) as SessionRow | undefined;
    return row ? sessionFromRow(row) : null;
  }

  async list(tenant: TenantKey, page: Page): Promise<SessionRecord[]> {
    const rows = this.statements
      .get(
        `SELECT ${sessionColumns} FROM sessions WHERE app_id = ? AND tenant_id = ? ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
      )
      .all(tenant.appId, tenant.tenantId, page.limit, page.offset) as SessionRow[];
    return rows.map(sessionFromRow);
  }

  async update(
    tenant: TenantKey,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
    now: number,
  ): Promise<SessionRecord | null> {
    return this.statements.write(() => {
      const current = this.find(tenant, id);
      if (!current) return null;
      this.statements
        .get(
          'UPDATE sessions SET title = ?, metadata = ?, updated_at = ? WHERE app_id = ? AND tenant_id = ? AND id = ?',
        )
        .run(
          patch.title ?? current.title,
          JSON.stringify(patch.metadata ?? current.metadata),
          now,
          tenant.appId,
          tenant.tenantId,
          id,
        );
      return this.find(tenant, id);
    });
  }

  /** Deletes a session and its messages; call inside a transaction. */
  async delete(tenant: TenantKey, id: string): Promise<boolean> {
    return this.statements.write(() => this.deleteIn(tenant, id));
  }

  async expireIdle(
    tenant: TenantKey | null,
    idleBefore: number,
    _now: number,
    options: { dryRun?: boolean } = {},
  ): Promise<number> {
    const conditions = ['updated_at < ?'];
    const params: unknown[] = [idleBefore];
    if (tenant) {
      conditions.push('app_id = ?', 'tenant_id = ?');
      params.push(tenant.appId, tenant.tenantId);
    }
    if (options.dryRun) {
      const row = this.statements
        .get(`SELECT count(*) AS n FROM sessions WHERE ${conditions.join(' AND ')}`)
        .get(...params) as { n: number };
      return row.n;
    }
    // A tenant's idle sessions are a range of its updated_at index; across tenants the scan goes
    // on in rowid order from the last batch, never from the start again.
    const batch = this.statements.get(
      `SELECT rowid AS position, app_id, tenant_id, id FROM sessions${tenant ? '' : ' NOT INDEXED'}
       WHERE ${conditions.join(' AND ')} AND rowid > ? ORDER BY ${tenant ? 'updated_at, rowid' : 'rowid'} LIMIT ?`,
    );
    let deleted = 0;
    let after = 0;
    for (;;) {
      // One short transaction per batch.
      const rows = this.statements.write(() => {
        const found = batch.all(...params, tenant ? 0 : after, expireSessionBatch) as Array<{
          position: number;
          app_id: string;
          tenant_id: string;
          id: string;
        }>;
        for (const row of found)
          this.deleteIn({ appId: row.app_id, tenantId: row.tenant_id }, row.id);
        return found;
      });
      deleted += rows.length;
      if (rows.length < expireSessionBatch) return deleted;
      after = rows[rows.length - 1]!.position;
      await yieldBetweenBatches();
    }
  }

  /** Deletes a session and its messages inside the caller's transaction. */
  private deleteIn(tenant: TenantKey, id: string): boolean {
    const keys = this.statements
      .get('SELECT key FROM session_messages WHERE app_id = ? AND tenant_id = ? AND session_id = ?')
      .raw()
      .all(tenant.appId, tenant.tenantId, id) as Array<[number]>;
    const removeFts = this.statements.get('DELETE FROM session_messages_fts WHERE rowid = ?');
    for (const [key] of keys) removeFts.run(key);
    this.statements
      .get('DELETE FROM session_messages WHERE app_id = ? AND tenant_id = ? AND session_id = ?')
      .run(tenant.appId, tenant.tenantId, id);
    return (
      this.statements
        .get('DELETE FROM sessions WHERE app_id = ? AND tenant_id = ? AND id = ?')
        .run(tenant.appId, tenant.tenantId, id).changes > 0
    );
  }

  /** Appends messages in order; call inside a transaction. */
  async append(
    tenant: TenantKey,
    sessionId: string,
    messages: NewSessionMessage[],
    now: number,
  ): Promise<SessionMessage[]> {
    return this.statements.write(() => {
      const session = this.find(tenant, sessionId);
      if (!session)
        throw new MnemosError('not_found', `session ${sessionId} not found`, {
          details: { sessionId },
        });
      const insert = this.statements.get(
        `INSERT INTO session_messages (id, app_id, tenant_id, session_id, seq, role, content, name, metadata, parts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const index = this.statements.get(
        'INSERT INTO session_messages_fts (rowid, partition, tokens) VALUES (?, ?, ?)',
      );
      const partition = messagePartition(tenant);
      let seq = session.messageCount;
      for (const message of messages) {
        seq += 1;
        const result = insert.run(
          message.id,
          tenant.appId,
          tenant.tenantId,
          sessionId,
          seq,
          message.role,
          message.content,
          message.name,
          JSON.stringify(message.metadata),
          JSON.stringify(message.parts),
          Date.parse(message.createdAt),
        );
        index.run(result.lastInsertRowid, partition, message.tokens);
      }
      this.statements
        .get(
          'UPDATE sessions SET message_count = ?, updated_at = ? WHERE app_id = ? AND tenant_id = ? AND id = ?',
        )
        .run(seq, now, tenant.appId, tenant.tenantId, sessionId);
      const rows = this.statements
        .get(
          `SELECT ${messageColumns} FROM session_messages WHERE app_id = ? AND tenant_id = ? AND session_id = ? AND seq > ? ORDER BY seq`,
        )
        .all(tenant.appId, tenant.tenantId, sessionId, session.messageCount) as MessageRow[];
      return rows.map(messageFromRow);
    });
  }

  async messages(tenant: TenantKey, sessionId: string, page: Page): Promise<SessionMessage[]> {
    const rows = this.statements
      .get(
        `SELECT ${messageColumns} FROM session_messages WHERE app_id = ? AND tenant_id = ? AND session_id = ? ORDER BY seq LIMIT ? OFFSET ?`,
      )
      .all(tenant.appId, tenant.tenantId, sessionId, page.limit, page.offset) as MessageRow[];
    return rows.map(messageFromRow);
  }

  async search(
    tenant: TenantKey,
    tokens: string[],
    options: { sessionId: string | null; limit: number },
  ): Promise<Array<SessionMessage & { score: number }>> {
    const { sessionId, limit } = options;
    if (tokens.length === 0) return [];
    const match = matchExpression(messagePartition(tenant), tokens);
    const sessionFilter = sessionId === null ? '' : ' AND m.session_id = ?';
    const params: unknown[] = [match, tenant.appId, tenant.tenantId];
    if (sessionId !== null) params.push(sessionId);
    const rows = this.statements
      .get(
        `SELECT m.id, m.session_id, m.seq, m.role, m.content, m.name, m.metadata, m.parts, m.created_at, -bm25(session_messages_fts, 0.0, 1.0) AS score
         FROM session_messages_fts JOIN session_messages m ON m.key = session_messages_fts.rowid
         WHERE session_messages_fts MATCH ? AND m.app_id = ? AND m.tenant_id = ?${sessionFilter}
         ORDER BY bm25(session_messages_fts, 0.0, 1.0) LIMIT ?`,
      )
      .all(...params, limit) as Array<MessageRow & { score: number }>;
    return rows.map((row) => ({ ...messageFromRow(row), score: row.score }));
  }
}
