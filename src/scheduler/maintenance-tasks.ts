import type { MnemosConfig } from '../config/config.js';
import type { Mnemos } from '../mnemos.js';

const day = 86_400_000;

/** A built-in maintenance job the cron scheduler runs on its schedule, beside the stored jobs. */
export interface MaintenanceJob {
  name: 'memory_cleanup' | 'session_cleanup';
  /** Cron schedule as configured (`every 1d`, `0 4 * * *`, …). */
  schedule: string;
  /** Runs once; resolves with a one-line summary, rejects when stopped through the signal. */
  run(signal: AbortSignal): Promise<string>;
}

/** What the maintenance jobs use of Mnemos. */
export type MaintenanceTarget = Pick<Mnemos, 'memories' | 'sessions' | 'stores'>;

/**
 * The enabled jobs of `maintenance:` in config.yaml, for the cron scheduler's `builtins`. Both work
 * across every tenant, as the operator's jobs; memories store by store, so a stop lands between
 * stores.
 */
export function maintenanceJobs(
  mnemos: MaintenanceTarget,
  config: MnemosConfig['maintenance'],
): MaintenanceJob[] {
  const jobs: MaintenanceJob[] = [];
  const memory = config.memory_cleanup;
  if (memory.enabled) {
    jobs.push({
      name: 'memory_cleanup',
      schedule: memory.schedule,
      async run(signal) {
        let matched = 0;
        let removed = 0;
        const stores = await mnemos.stores.list();
        for (const store of stores) {
          signal.throwIfAborted();
          const outcome = await mnemos.memories.expire({
            store: store.name,
            olderThanMs: Math.round(memory.max_age_days * day),
            keepAccessCount: memory.keep_access_count,
            keepAccessedWithinMs: Math.round(memory.keep_accessed_within_days * day),
            keepKinds: memory.keep_kinds,
            action: memory.action,
          });
          matched += outcome.matched;
          removed += outcome.removed;
        }
        const verb = memory.action === 'purge' ? 'purged' : 'deleted';
        return `${verb} ${removed} of ${matched} memories older than ${memory.max_age_days} days in ${stores.length} store(s)`;
      },
    });
  }
  const sessions = config.session_cleanup;
  if (sessions.enabled) {
    jobs.push({
      name: 'session_cleanup',
      schedule: sessions.schedule,
      async run(signal) {
        signal.throwIfAborted();
        const { deleted } = await mnemos.sessions.expireIdle({
          idleForMs: Math.round(sessions.max_age_days * day),
        });
        return `deleted ${deleted} session(s) idle for more than ${sessions.max_age_days} days`;
      },
    });
  }
  return jobs;
}
