import { randomUUID } from 'node:crypto';
import { MnemosError } from '../core/errors.js';
import { type ExpireSessionsInput, expireSessionsSchema } from '../core/expiry-inputs.js';
import { checkPage } from '../core/limits.js';
import { capPart } from '../core/message-parts.js';
import { describeIssues, parseInput } from '../core/schemas.js';
import {
  type Scope,
  scopeWithDefaults,
  type TenantKey,
  tenantScope,
  writeScope,
} from '../core/scope.js';
import {
  type AppendMessage,
  appendSchema,
  createSessionSchema,
  partsSchema,
  type SessionCreateInput,
} from '../core/session-inputs.js';
import type { SessionMessage, SessionMessagePart, SessionRecord } from '../core/session-record.js';
import {
  combineReports,
  type RedactionReport,
  Redactor,
  redactionWarning,
} from '../redaction/redactor.js';
import type { Storage } from '../spec/storage.js';
import { indexTokens, queryTokens } from '../text/tokenizer.js';

type SessionOwner = Pick<Scope, 'appId' | 'tenantId'> & { agentId?: string };

function tenantKey(owner: Partial<SessionOwner>): TenantKey {
  const scope = writeScope(ownerScope(owner));
  return { appId: scope.appId, tenantId: scope.tenantId };
}

/** The owner as a write scope: agent `default` unless named, run `session`. */
function ownerScope(owner: Partial<SessionOwner>): Partial<Scope> {
  return scopeWithDefaults(
    'write',
    { appId: owner.appId, tenantId: owner.tenantId, agentId: owner.agentId },
    { runId: 'session' },
  );
}

function page(
  limit: number | undefined,
  offset: number | undefined,
): { limit: number; offset: number } {
  return checkPage(limit, offset, 50);
}

export type { AppendMessage, SessionCreateInput } from '../core/session-inputs.js';
export { maxAppendMessages } from '../core/session-inputs.js';

/** Session history per (app, tenant): sessions, their messages, and full-text search over them. */
export class SessionService {
  constructor(
    private readonly storage: Storage,
    private readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * Starts a session for a tenant.
   * @example const session = await mnemos.sessions.create({ appId: 'app', tenantId: 'u1' }, { title: 'Trip planning' })
   */
  async create(owner: SessionOwner, input: SessionCreateInput = {}): Promise<SessionRecord> {
    const tenant = tenantKey(owner);
    const parsed = parseInput(createSessionSchema, input, 'session');
    const now = new Date().toISOString();
    return this.storage.sessions.create({
      id: parsed.id ?? randomUUID(),
      ...tenant,
      agentId: ownerScope(owner).agentId!,
      title: this.redactor.redact(parsed.title ?? '').text,
      metadata: this.redactor.redactRecord(parsed.metadata ?? {}).record,
      parentId: parsed.parentId ?? null,
      messageCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  }

  /**
   * Deletes sessions (and their messages) idle for longer than `idleForMs`, of one tenant or every
   * tenant (operator maintenance); returns how many, or with `dryRun` how many would go.
   */
  async expireIdle(input: ExpireSessionsInput): Promise<{ deleted: number; dryRun: boolean }> {
    const parsed = parseInput(expireSessionsSchema, input, 'session expiry');
    const tenant = parsed.tenant ? tenantScope(parsed.tenant) : null;
    const now = Date.now();
    const deleted = await this.storage.sessions.expireIdle(tenant, now - parsed.idleForMs, now, {
      dryRun: parsed.dryRun,
    });
    return { deleted, dryRun: parsed.dryRun };
  }

  /** One session; throws `not_found`. */
  async get(owner: SessionOwner, id: string): Promise<SessionRecord> {
    const session = await this.storage.sessions.get(tenantKey(owner), id);
    if (!session) throw notFound(id);
    return session;
  }

  /** Sessions of the tenant, most recently active first. */
  async list(
    owner: SessionOwner,
    options: { limit?: number; offset?: number } = {},
  ): Promise<SessionRecord[]> {
    return this.storage.sessions.list(tenantKey(owner), page(options.limit, options.offset));
  }

  /** Changes a session's title or metadata. */
  async update(
    owner: SessionOwner,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
  ): Promise<SessionRecord> {
    const parsed = parseInput(
      createSessionSchema.pick({ title: true, metadata: true }),
      patch,
      'session update',
    );
    if (parsed.title !== undefined) parsed.title = this.redactor.redact(parsed.title).text;
    if (parsed.metadata) parsed.metadata = this.redactor.redactRecord(parsed.metadata).record;
    const session = await this.storage.sessions.update(tenantKey(owner), id, parsed, Date.now());
    if (!session) throw notFound(id);
    return session;
  }

  /** Deletes a session and its messages. */
  async delete(owner: SessionOwner, id: string): Promise<void> {
    if (!(await this.storage.sessions.delete(tenantKey(owner), id))) throw notFound(id);
  }

  /**
   * Appends messages in order and returns them with their positions; secrets are redacted first.
   * Tool calls and results go in `parts`; each over {@link maxToolPartCharacters} characters is
   * stored cut, with a marker.
   */
  async append(
    owner: SessionOwner,
    sessionId: string,
    messages: AppendMessage[],
  ): Promise<SessionMessage[]> {
    return (await this.appendReporting(owner, sessionId, messages)).messages;
  }

  /** `append`, also saying how many secrets were replaced (`redacted`) and of which kinds (`warnings`). */
  async appendReporting(
    owner: SessionOwner,
    sessionId: string,
    messages: AppendMessage[],
  ): Promise<{ messages: SessionMessage[]; redacted: number; warnings: string[] }> {
    const parts = Array.isArray(messages)
      ? messages.map((message, index) => checkParts(message?.parts, index))
      : [];
    const parsed = parseInput(
      appendSchema,
      Array.isArray(messages) ? messages.map(withoutParts) : messages,
      'messages',
    );
    const now = Date.now();
    const reports: RedactionReport[] = [];
    const contents = this.redactor.redactMany(parsed.map((message) => message.content));
    const rows = parsed.map((message, index) => {
      const content = contents[index]!;
      const metadata = this.redactor.redactRecord(message.metadata ?? {});
      const redactedParts = this.redactor.redactValue(parts[index] ?? []);
      reports.push(content, metadata.redaction, redactedParts.redaction);
      return {
        id: randomUUID(),
        role: message.role,
        content: content.text,
        name: message.name ?? null,
        metadata: metadata.record,
        parts: (redactedParts.value as SessionMessagePart[]).map(capPart),
        createdAt: message.createdAt ?? new Date(now).toISOString(),
        tokens: indexTokens(content.text).join(' '),
      };
    });
    const stored = await this.storage.sessions.append(tenantKey(owner), sessionId, rows, now);
    const redaction = combineReports(reports);
    return {
      messages: stored,
      redacted: redaction.count,
      warnings: redaction.count > 0 ? [redactionWarning(redaction)] : [],
    };
  }

  /** Messages of a session in order, paged. */
  async messages(
    owner: SessionOwner,
    sessionId: string,
    options: { limit?: number; offset?: number } = {},
  ): Promise<SessionMessage[]> {
    await this.get(owner, sessionId);
    return this.storage.sessions.messages(
      tenantKey(owner),
      sessionId,
      page(options.limit, options.offset),
    );
  }

  /** BM25 search over the tenant's messages (CJK-aware), optionally inside one session. */
  async search(
    owner: SessionOwner,
    query: string,
    options: { sessionId?: string; limit?: number } = {},
  ): Promise<Array<SessionMessage & { score: number }>> {
    if (typeof query !== 'string' || query.trim() === '')
      throw new MnemosError('invalid_input', 'query must not be empty');
    const limit = page(options.limit ?? 10, 0).limit;
    return this.storage.sessions.search(tenantKey(owner), queryTokens(query), {
      sessionId: options.sessionId ?? null,
      limit,
    });
  }
}

function withoutParts(message: unknown): unknown {
  if (message === null || typeof message !== 'object') return message;
  const { parts: _parts, ...rest } = message as Record<string, unknown>;
  return rest;
}

/** One message's parts, checked and within the cap; `invalid_input` naming the message otherwise. */
function checkParts(parts: unknown, index: number): SessionMessagePart[] {
  if (parts === undefined) return [];
  const result = partsSchema.safeParse(parts);
  if (!result.success) {
    const { issues, summary } = describeIssues(
      result.error.issues.map((issue) => ({ ...issue, path: [index, 'parts', ...issue.path] })),
    );
    throw new MnemosError('invalid_input', `invalid messages: ${summary}`, {
      details: { issues },
    });
  }
  return (result.data as SessionMessagePart[]).map(capPart);
}

function notFound(id: string): MnemosError {
  return new MnemosError('not_found', `session ${id} not found`, { details: { id } });
}
