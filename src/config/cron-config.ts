import { z } from 'zod';

/** Scheduled jobs (`cron:` in config.yaml). */
export const cronConfigSchema = z
  .object({
    /** Run due jobs inside `mnemos serve` and `mnemos gateway run` (`mnemos cron tick` runs them once regardless). */
    enabled: z.boolean().default(true),
    /** How often the scheduler looks for due jobs. */
    tick_ms: z.number().int().min(200).max(300_000).default(15_000),
    /** How long a claimed run is this process's before another replica may take it over. */
    lease_ms: z.number().int().min(1_000).max(86_400_000).default(600_000),
    /** Runs one process carries out at once. */
    max_concurrent: z.number().int().min(1).max(32).default(2),
    /** Longest run, after which it is stopped and recorded as failed. */
    timeout_ms: z.number().int().min(1_000).max(86_400_000).default(600_000),
    /** Whether an agent inside a cron run may itself schedule jobs (`cronjob` tool). */
    allow_agent_scheduling: z.boolean().default(false),
    /** Whether cron runs write long-term memory (per job `memory` overrides it). */
    memory_writes: z.boolean().default(false),
    /** Jobs created over HTTP or from a chat: each run costs tokens, so they are bounded. */
    untrusted: z
      .object({
        /** Jobs one tenant may have. */
        max_jobs: z.number().int().min(1).max(10_000).default(20),
        /** Shortest time between two runs of one job, seconds. */
        min_interval_s: z.number().int().min(1).max(86_400).default(300),
      })
      .strict()
      .prefault({}),
    /** Runs kept per job; older ones are deleted. */
    keep_runs: z.number().int().min(1).max(10_000).default(100),
  })
  .strict();

/** One built-in maintenance job: off until configured. */
const maintenanceJob = {
  enabled: z.boolean().default(false),
  /** When it runs (any cron schedule: `every 1d`, `0 4 * * *`, …). */
  schedule: z.string().min(1).default('every 1d'),
};

/** Built-in maintenance jobs (`maintenance:` in config.yaml), run by the cron scheduler. */
export const maintenanceConfigSchema = z
  .object({
    /** Expire memories by age, keeping those that are often recalled. */
    memory_cleanup: z
      .object({
        ...maintenanceJob,
        /** Memories not updated for this many days are candidates. */
        max_age_days: z.number().min(0.0001).max(36_500).default(90),
        /** A candidate recalled at least this many times is kept. */
        keep_access_count: z.number().int().min(0).default(3),
        /** A candidate recalled within this many days is kept. */
        keep_accessed_within_days: z.number().min(0).max(36_500).default(30),
        /** Kinds never expired. */
        keep_kinds: z.array(z.string().min(1)).default(['profile', 'preference']),
        /** `delete` (soft, recoverable until purged) or `purge`. */
        action: z.enum(['delete', 'purge']).default('delete'),
      })
      .strict()
      .prefault({}),
    /** Delete sessions idle for longer than `max_age_days`. */
    session_cleanup: z
      .object({
        ...maintenanceJob,
        max_age_days: z.number().min(0.0001).max(36_500).default(30),
      })
      .strict()
      .prefault({}),
  })
  .strict();
