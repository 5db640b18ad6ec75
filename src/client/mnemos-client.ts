import type { AuditEntry } from '../core/key-record.js';
import { AgentsApi } from './agents-api.js';
import { CronApi } from './cron-api.js';
import { HttpTransport, segment } from './http-transport.js';
import { MemoriesApi } from './memories-api.js';
import { SessionsApi } from './sessions-api.js';
import type {
  ExpectedVersionOption,
  SkillCreateInput,
  SkillDetail,
  SkillHistoryEntry,
  SkillHistoryOptions,
  SkillListing,
  SkillPatchInput,
  SkillUpdateInput,
} from './skill-types.js';
import { KeysApi, ProfileApi, StoresApi } from './tenant-apis.js';
import type { CallOptions, ClientOptions, PageOptions } from './types.js';

/**
 * A typed client of the Mnemos HTTP API with the namespaces of the library (`stores`, `memories`,
 * `sessions`, `keys`, `profile`) and the tenant's skills (`listSkills`, `createSkill`, …). Every failure is a MnemosError: the server's code, or
 * `upstream_error` (details.reason `network` or `timeout`) when no answer came.
 * @example
 * const client = new MnemosClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: process.env.MNEMOS_API_KEY! });
 * await client.memories.add({ text: '用户偏好简洁的中文回复', sync: true });
 * const { results } = await client.memories.search({ query: '回答风格' });
 */
export class MnemosClient {
  readonly stores: StoresApi;
  readonly memories: MemoriesApi;
  readonly sessions: SessionsApi;
  readonly keys: KeysApi;
  readonly profile: ProfileApi;
  /** Agent definitions of the tenant (and the server's home ones). */
  readonly agents: AgentsApi;
  /** Scheduled jobs of the tenant and their runs. */
  readonly cron: CronApi;
  private readonly http: HttpTransport;

  constructor(private readonly options: ClientOptions) {
    this.http = new HttpTransport(options);
    this.stores = new StoresApi(this.http);
    this.memories = new MemoriesApi(this.http);
    this.sessions = new SessionsApi(this.http);
    this.keys = new KeysApi(this.http);
    this.profile = new ProfileApi(this.http);
    this.agents = new AgentsApi(this.http);
    this.cron = new CronApi(this.http);
  }

  /** The service's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Mutating requests of the tenant, newest first (the audit trail). */
  async requests(page: PageOptions = {}, options: CallOptions = {}): Promise<AuditEntry[]> {
    const { requests } = await this.http.json<{ requests: AuditEntry[] }>('GET', '/v1/requests', {
      ...options,
      query: { limit: page.limit, offset: page.offset },
    });
    return requests;
  }

  /** The tenant's skills by name; archived ones too with `includeArchived`. */
  async listSkills(
    input: { includeArchived?: boolean } = {},
    options: CallOptions = {},
  ): Promise<SkillListing[]> {
    const { skills } = await this.http.json<{ skills: SkillListing[] }>('GET', '/v1/skills', {
      ...options,
      query: { includeArchived: input.includeArchived },
    });
    return skills;
  }

  /** One skill with its files and provenance; `not_found` when the tenant has none of that name. */
  getSkill(name: string, options: CallOptions = {}): Promise<SkillDetail> {
    return this.http.json('GET', `/v1/skills${segment(name)}`, options);
  }

  /**
   * Creates a skill (version 1) from its SKILL.md; `invalid_input` with `details.issues` when it is
   * not valid, `forbidden` when the safety scan refuses it, `already_exists` for a taken name.
   * @example
   * await client.createSkill({ content: '---\nname: deploy\ndescription: Deploy the app.\n---\n# Deploy\n' });
   */
  createSkill(input: SkillCreateInput, options: CallOptions = {}): Promise<SkillDetail> {
    return this.http.json('POST', '/v1/skills', { ...options, body: input });
  }

  /** Replaces SKILL.md (`content`), every supporting file (`files`), or both. */
  updateSkill(
    name: string,
    input: SkillUpdateInput,
    options: CallOptions = {},
  ): Promise<SkillDetail> {
    return this.http.json('PUT', `/v1/skills${segment(name)}`, { ...options, body: input });
  }

  /** Replaces `oldString` by `newString` in one file of a skill. */
  patchSkill(
    name: string,
    input: SkillPatchInput,
    options: CallOptions = {},
  ): Promise<SkillDetail> {
    return this.http.json('PATCH', `/v1/skills${segment(name)}`, { ...options, body: input });
  }

  /** Deletes a skill; its history stays, so `revertSkill` can bring it back. */
  async deleteSkill(
    name: string,
    options: ExpectedVersionOption & CallOptions = {},
  ): Promise<void> {
    const { expectedVersion, ...call } = options;
    await this.http.json('DELETE', `/v1/skills${segment(name)}`, {
      ...call,
      query: { expectedVersion: expectedVersion },
    });
  }

  /** Archives a skill: kept, but hidden from the listing and the agent. */
  archiveSkill(
    name: string,
    options: ExpectedVersionOption & CallOptions = {},
  ): Promise<SkillDetail> {
    return this.skillAction(name, 'archive', options);
  }

  /** Brings an archived skill back. */
  restoreSkill(
    name: string,
    options: ExpectedVersionOption & CallOptions = {},
  ): Promise<SkillDetail> {
    return this.skillAction(name, 'restore', options);
  }

  /** Stores the files of an earlier version as the newest one (also undoes a delete). */
  revertSkill(
    name: string,
    version: number,
    options: ExpectedVersionOption & CallOptions = {},
  ): Promise<SkillDetail> {
    const { expectedVersion, ...call } = options;
    return this.http.json('POST', `/v1/skills${segment(name)}/revert`, {
      ...call,
      body: {
        version,
        ...(expectedVersion !== undefined ? { expectedVersion: expectedVersion } : {}),
      },
    });
  }

  /** Recorded versions of a skill, newest first. */
  async skillHistory(
    name: string,
    input: SkillHistoryOptions = {},
    options: CallOptions = {},
  ): Promise<SkillHistoryEntry[]> {
    const { history } = await this.http.json<{ history: SkillHistoryEntry[] }>(
      'GET',
      `/v1/skills${segment(name)}/history`,
      { ...options, query: { limit: input.limit, offset: input.offset, files: input.files } },
    );
    return history;
  }

  /** A client acting on another (app, tenant); only an admin key may (others keep their own). */
  forTenant(appId: string, tenantId: string): MnemosClient {
    return new MnemosClient({
      ...this.options,
      headers: { ...this.options.headers, 'x-mnemos-app': appId, 'x-mnemos-tenant': tenantId },
    });
  }

  private skillAction(
    name: string,
    action: 'archive' | 'restore',
    options: ExpectedVersionOption & CallOptions,
  ): Promise<SkillDetail> {
    const { expectedVersion, ...call } = options;
    return this.http.json('POST', `/v1/skills${segment(name)}/${action}`, {
      ...call,
      query: { expectedVersion: expectedVersion },
    });
  }
}
