import type { CronJob, CronJobInput, CronRun } from './cron-types.js';
import { type HttpTransport, segment } from './http-transport.js';
import type { CallOptions } from './types.js';

/** Scheduled jobs of the key's tenant and their runs. */
export class CronApi {
  constructor(private readonly http: HttpTransport) {}

  async list(options: CallOptions = {}): Promise<CronJob[]> {
    const { jobs } = await this.http.json<{ jobs: CronJob[] }>('GET', '/v1/cron', options);
    return jobs;
  }

  /** Schedules a job; `conflict` when the tenant has one of that name. */
  create(input: CronJobInput, options: CallOptions = {}): Promise<CronJob> {
    return this.http.json('POST', '/v1/cron', { ...options, body: input });
  }

  get(name: string, options: CallOptions = {}): Promise<CronJob> {
    return this.http.json('GET', `/v1/cron${segment(name)}`, options);
  }

  /** Changes any fields but the name. */
  update(
    name: string,
    changes: Partial<Omit<CronJobInput, 'name'>>,
    options: CallOptions = {},
  ): Promise<CronJob> {
    return this.http.json('PATCH', `/v1/cron${segment(name)}`, { ...options, body: changes });
  }

  /** Deletes a job and its runs. */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.http.json('DELETE', `/v1/cron${segment(name)}`, options);
  }

  pause(name: string, options: CallOptions = {}): Promise<CronJob> {
    return this.http.json('POST', `/v1/cron${segment(name)}/pause`, options);
  }

  resume(name: string, options: CallOptions = {}): Promise<CronJob> {
    return this.http.json('POST', `/v1/cron${segment(name)}/resume`, options);
  }

  /** Makes a job due now: the server's scheduler runs it at its next tick (`conflict` while one runs). */
  run(name: string, options: CallOptions = {}): Promise<CronJob> {
    return this.http.json('POST', `/v1/cron${segment(name)}/run`, options);
  }

  /** A job's runs, newest first. */
  async runs(
    name: string,
    options: CallOptions & { limit?: number; offset?: number } = {},
  ): Promise<CronRun[]> {
    const { limit, offset, ...call } = options;
    const { runs } = await this.http.json<{ runs: CronRun[] }>(
      'GET',
      `/v1/cron${segment(name)}/runs`,
      { ...call, query: { limit, offset } },
    );
    return runs;
  }

  /** One run by id. */
  getRun(id: string, options: CallOptions = {}): Promise<CronRun> {
    return this.http.json('GET', `/v1/cron/runs${segment(id)}`, options);
  }
}
