import { MnemosError } from '../../core/errors.js';
import type { TenantKey } from '../../core/scope.js';
import type { SessionMessage, SessionRecord } from '../../core/session-record.js';
import type { NewSessionMessage, Page, SessionStorage } from '../../spec/storage.js';
import {
  type MessageRow,
  messageFromRow,
  type SessionRow,
  sessionFromRow,
} from '../shared/rows.js';
import { bm25Ranking, sessionsSpace, TextStatistics } from './bm25.js';
import { type Database, type Sql, sqlState } from './database.js';
import { Params } from './filter-sql.js';
import { partitionLexeme, tsvectorLiteral } from './text-search.js';

const sessionColumns =
  'app_id, tenant_id, id, agent_id, title, metadata, parent_id, message_count, created_at, updated_at';
const messageColumns = 'id, session_id, seq, role, content, name, metadata, parts, created_at';

/** Sessions deleted per committed batch of `expireIdle`. */
const expireSessionBatch = 200;

/** Full-text partition of a tenant's session messages. */
export function messagePartition(tenant: TenantKey): string {
  return partitionLexeme(sessionsSpace, tenant.appId, tenant.tenantId);
}

/** Session history of the Postgres backend. */
export class PostgresSessions implements SessionStorage {
  constructor(private readonly db: Database) {}

  delete(tenant: TenantKey, id: string): Promise<boolean> {
    return this.db.transaction((sql) => this.deleteIn(sql, tenant, id));
  }

  append(
    tenant: TenantKey,
    sessionId: string,
    messages: NewSessionMessage[],
    now: number,
  ): Promise<SessionMessage[]> {
    return this.db.transaction((sql) => this.appendIn(sql, tenant, sessionId, messages, now));
  }

  async create(session: SessionRecord): Promise<SessionRecord> {
    try {
      await this.db.run(
        `INSERT INTO sessions (app_id, tenant_id, id, agent_id, title, metadata, parent_id, message_count, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`,
        [
          session.appId,
          session.tenantId,
          session.id,
          session.agentId,
          session.title,
          JSON.stringify(session.metadata),
          session.parentId,
          Date.parse(session.createdAt),
          Date.parse(session.updatedAt),
        ],
      );
    } catch (error) {
      if (sqlState((error as { cause?: unknown }).cause) === '23505') {
        throw new MnemosError('already_exists', `session ${session.id} already exists`, {
          details: { id: session.id },
        });
      }
      throw error;
    }
    return (await this.get(session, session.id))!;
  }

  async get(tenant: TenantKey, id: string, sql: Sql = this.db): Promise<SessionRecord | null> {
    const rows = await sql.rows<SessionRow>(
      `SELECT ${sessionColumns} FROM sessions WHERE app_id = $1 AND tenant_id = $2 AND id = $3`,
      [tenant.appId, tenant.tenantId, id],
    );
    return rows[0] ? sessionFromRow(rows[0]) : null;
  }

  async list(tenant: TenantKey, page: Page): Promise<SessionRecord[]> {
    const rows = await this.db.rows<SessionRow>(
      `SELECT ${sessionColumns} FROM sessions WHERE app_id = $1 AND tenant_id = $2
       ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4`,
      [tenant.appId, tenant.tenantId, page.limit, page.offset],
    );
    return rows.map(sessionFromRow);
  }

  /** Changes title or metadata in one statement; null when the session is absent. */
  async update(
    tenant: TenantKey,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
    now: number,
  ): Promise<SessionRecord | null> {
    const rows = await this.db.rows<SessionRow>(
      `UPDATE sessions SET title = coalesce($1, title), metadata = coalesce($2, metadata), updated_at = $3
       WHERE app_id = $4 AND tenant_id = $5 AND id = $6 RETURNING ${sessionColumns}`,
      [
        patch.title ?? null,
        patch.metadata ? JSON.stringify(patch.metadata) : null,
        now,
        tenant.appId,
        tenant.tenantId,
        id,
      ],
    );
    return rows[0] ? sessionFromRow(rows[0]) : null;
  }

  async expireIdle(
    tenant: TenantKey | null,
    idleBefore: number,
    _now: number,
    options: { dryRun?: boolean } = {},
  ): Promise<number> {
    const where = (params: Params): string => {
      const conditions = [`updated_at < ${params.add(idleBefore)}`];
      if (tenant) {
        conditions.push(
          `app_id = ${params.add(tenant.appId)}`,
          `tenant_id = ${params.add(tenant.tenantId)}`,
        );
      }
      return conditions.join(' AND ');
    };
    if (options.dryRun) {
      const params = new Params();
      const rows = await this.db.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM sessions WHERE ${where(params)}`,
        params.values,
      );
      return rows[0]?.n ?? 0;
    }
    let deleted = 0;
    let after = ['', '', ''];
    for (;;) {
      // One short transaction per batch, going on in key order from the last one; rows another
      // transaction holds are left for the next run.
      const params = new Params();
      const query = `SELECT app_id, tenant_id, id FROM sessions WHERE ${where(params)}
          AND (app_id, tenant_id, id) > (${params.add(after[0])}, ${params.add(after[1])}, ${params.add(after[2])})
        ORDER BY app_id, tenant_id, id LIMIT ${params.add(expireSessionBatch)} FOR UPDATE SKIP LOCKED`;
      const batch = await this.db.transaction(async (sql) => {
        const rows = await sql.rows<{ app_id: string; tenant_id: string; id: string }>(
          query,
          params.values,
        );
        let gone = 0;
        for (const row of rows)
          if (await this.deleteIn(sql, { appId: row.app_id, tenantId: row.tenant_id }, row.id))
            gone += 1;
        return { rows, gone };
      });
      deleted += batch.gone;
      if (batch.rows.length < expireSessionBatch) return deleted;
      const last = batch.rows[batch.rows.length - 1]!;
      after = [last.app_id, last.tenant_id, last.id];
    }
  }

  /** Deletes a session and its messages inside the caller's transaction. */
  private async deleteIn(sql: Sql, tenant: TenantKey, id: string): Promise<boolean> {
    const removed = await sql.rows<{ documents: number; lexemes: number | null }>(
      `WITH gone AS (
         DELETE FROM session_messages WHERE app_id = $1 AND tenant_id = $2 AND session_id = $3 RETURNING tsv
       )
       SELECT count(tsv) AS documents, sum(length(tsv) - 1)::bigint AS lexemes FROM gone`,
      [tenant.appId, tenant.tenantId, id],
    );
    const statistics = new TextStatistics();
    statistics.add(
      sessionsSpace,
      tenant,
      -(removed[0]?.documents ?? 0),
      -(removed[0]?.lexemes ?? 0),
    );
    await statistics.flush(sql);
    const deleted = await sql.run(
      'DELETE FROM sessions WHERE app_id = $1 AND tenant_id = $2 AND id = $3',
      [tenant.appId, tenant.tenantId, id],
    );
    return deleted > 0;
  }

  /** Appends messages in order inside the caller's transaction; the session row is locked first, so concurrent appends queue up. */
  private async appendIn(
    sql: Sql,
    tenant: TenantKey,
    sessionId: string,
    messages: NewSessionMessage[],
    now: number,
  ): Promise<SessionMessage[]> {
    const locked = await sql.rows<{ message_count: number }>(
      'SELECT message_count FROM sessions WHERE app_id = $1 AND tenant_id = $2 AND id = $3 FOR UPDATE',
      [tenant.appId, tenant.tenantId, sessionId],
    );
    if (!locked[0]) {
      throw new MnemosError('not_found', `session ${sessionId} not found`, {
        details: { sessionId },
      });
    }
    const first = locked[0].message_count;
    const partition = messagePartition(tenant);
    const statistics = new TextStatistics();
    const tsvs = messages.map((message) => {
      const tsv = tsvectorLiteral(partition, message.tokens);
      statistics.add(sessionsSpace, tenant, 1, tsv.lexemes);
      return tsv.literal;
    });
    const rows =
      messages.length === 0
        ? []
        : await sql.rows<MessageRow>(
            `INSERT INTO session_messages (id, app_id, tenant_id, session_id, seq, role, content, name, metadata, parts, tsv, created_at)
             SELECT u.id, $1, $2, $3, $4 + u.position, u.role, u.content, u.name, u.metadata, u.parts, u.tsv::tsvector, u.created_at
             FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])
               WITH ORDINALITY AS u(id, role, content, name, metadata, parts, tsv, created_at, position)
             ORDER BY u.position
             RETURNING ${messageColumns}`,
            [
              tenant.appId,
              tenant.tenantId,
              sessionId,
              first,
              messages.map((message) => message.id),
              messages.map((message) => message.role),
              messages.map((message) => message.content),
              messages.map((message) => message.name),
              messages.map((message) => JSON.stringify(message.metadata)),
              messages.map((message) => JSON.stringify(message.parts)),
              tsvs,
              messages.map((message) => Date.parse(message.createdAt)),
            ],
          );
    await sql.run(
      'UPDATE sessions SET message_count = $1, updated_at = $2 WHERE app_id = $3 AND tenant_id = $4 AND id = $5',
      [first + messages.length, now, tenant.appId, tenant.tenantId, sessionId],
    );
    await statistics.flush(sql);
    return rows.sort((a, b) => a.seq - b.seq).map(messageFromRow);
  }

  async messages(tenant: TenantKey, sessionId: string, page: Page): Promise<SessionMessage[]> {
    const rows = await this.db.rows<MessageRow>(
      `SELECT ${messageColumns} FROM session_messages WHERE app_id = $1 AND tenant_id = $2 AND session_id = $3
       ORDER BY seq LIMIT $4 OFFSET $5`,
      [tenant.appId, tenant.tenantId, sessionId, page.limit, page.offset],
    );
    return rows.map(messageFromRow);
  }

  /** BM25 full-text search over a tenant's messages (one session, or all), ranked like memories. */
  async search(
    tenant: TenantKey,
    tokens: string[],
    options: { sessionId: string | null; limit: number },
  ): Promise<Array<SessionMessage & { score: number }>> {
    const { sessionId, limit } = options;
    const params = new Params();
    const appId = params.add(tenant.appId);
    const tenantId = params.add(tenant.tenantId);
    const where = `m.app_id = ${appId} AND m.tenant_id = ${tenantId}${sessionId === null ? '' : ` AND m.session_id = ${params.add(sessionId)}`}`;
    const ranking = bm25Ranking({
      params,
      table: 'session_messages',
      where,
      space: sessionsSpace,
      tenant,
      tokens,
      limit,
    });
    if (ranking === null) return [];
    const rows = await this.db.rows<MessageRow & { score: number }>(
      `${ranking}
       SELECT ${messageColumns
         .split(', ')
         .map((column) => `m.${column}`)
         .join(', ')}, r.score FROM ranked r
       JOIN session_messages m ON m.app_id = ${appId} AND m.tenant_id = ${tenantId} AND m.key = r.key
       ORDER BY r.score DESC, r.key`,
      params.values,
    );
    return rows.map((row) => ({ ...messageFromRow(row), score: row.score }));
  }
}
