import type { AuditEntry } from '../core/key-record.js';
import { HttpTransport } from './http-transport.js';
import { MemoriesApi } from './memories-api.js';
import { SessionsApi } from './sessions-api.js';
import { KeysApi, ProfileApi, StoresApi } from './tenant-apis.js';
import type { CallOptions, ClientOptions, PageOptions } from './types.js';

/**
 * A typed client of the Mnemos HTTP API with the namespaces of the library (`stores`, `memories`,
 * `sessions`, `keys`, `profile`). Every failure is a MnemosError: the server's code, or
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
  private readonly http: HttpTransport;

  constructor(private readonly options: ClientOptions) {
    this.http = new HttpTransport(options);
    this.stores = new StoresApi(this.http);
    this.memories = new MemoriesApi(this.http);
    this.sessions = new SessionsApi(this.http);
    this.keys = new KeysApi(this.http);
    this.profile = new ProfileApi(this.http);
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

  /** A client acting on another (app, tenant); only an admin key may (others keep their own). */
  forTenant(appId: string, tenantId: string): MnemosClient {
    return new MnemosClient({
      ...this.options,
      headers: { ...this.options.headers, 'x-mnemos-app': appId, 'x-mnemos-tenant': tenantId },
    });
  }
}
