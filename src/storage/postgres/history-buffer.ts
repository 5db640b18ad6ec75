import { randomUUID } from 'node:crypto';
import type { TenantKey } from '../../core/scope.js';
import type { Sql } from './database.js';

/** One history row of a memory. */
export interface HistoryChange {
  tenant: TenantKey;
  memoryId: string;
  event: string;
  oldText: string | null;
  newText: string | null;
  reason: string;
}

/**
 * History rows of one write transaction, written in one statement before it commits, in the order
 * they happened (their identity `seq` orders rows of the same instant, as SQLite's rowid does).
 */
export class HistoryBuffer {
  private readonly rows: HistoryChange[] = [];

  constructor(
    private readonly store: string,
    private readonly now: number,
  ) {}

  push(change: HistoryChange): void {
    this.rows.push(change);
  }

  async flush(sql: Sql): Promise<void> {
    const rows = this.rows.splice(0);
    if (rows.length === 0) return;
    await sql.run(
      `INSERT INTO memory_history (id, store, app_id, tenant_id, memory_id, event, old_text, new_text, reason, created_at)
       SELECT u.id, $1, u.app_id, u.tenant_id, u.memory_id, u.event, u.old_text, u.new_text, u.reason, $2
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
         WITH ORDINALITY AS u(id, app_id, tenant_id, memory_id, event, old_text, new_text, reason, position)
       ORDER BY u.position`,
      [
        this.store,
        this.now,
        rows.map(() => randomUUID()),
        rows.map((row) => row.tenant.appId),
        rows.map((row) => row.tenant.tenantId),
        rows.map((row) => row.memoryId),
        rows.map((row) => row.event),
        rows.map((row) => row.oldText),
        rows.map((row) => row.newText),
        rows.map((row) => row.reason),
      ],
    );
  }
}
