import type { JobRecord } from '../../core/job-record.js';
import type { StoreRecord } from '../../core/store-record.js';
import type { BatchHandler } from '../../jobs/job-runner.js';
import type { IngestPipeline } from './ingest-pipeline.js';

/**
 * The job runner's handler for ingestion: each store's jobs of a batch through the pipeline; a
 * store that cannot be resolved fails its jobs, and every other job reports its own outcome.
 */
export function ingestJobHandler(
  /** The store the jobs write to, created on the first write when it is the default one. */
  resolveStore: (name: string) => Promise<StoreRecord>,
  pipeline: IngestPipeline,
): BatchHandler {
  return async (jobs, worker) => {
    const failures = [];
    for (const [storeName, group] of groupByStore(jobs)) {
      try {
        const store = await resolveStore(storeName);
        for (const outcome of await pipeline.run(store, group, worker))
          if ('error' in outcome) failures.push(outcome);
      } catch (error) {
        for (const job of group) failures.push({ job, error: error as Error });
      }
    }
    return failures;
  };
}

function groupByStore(jobs: JobRecord[]): Map<string, JobRecord[]> {
  const groups = new Map<string, JobRecord[]>();
  for (const job of jobs) {
    const group = groups.get(job.store);
    if (group) group.push(job);
    else groups.set(job.store, [job]);
  }
  return groups;
}
