import { MnemosError } from '../../core/errors.js';

/** The error of a commit whose jobs another worker has claimed since (after their lease ran out). */
export function leaseLost(ids: string[]): MnemosError {
  return new MnemosError(
    'lease_lost',
    `job ${ids.join(', ')} was claimed again by another worker after its lease ran out; its result here is dropped`,
    { category: 'system', details: { ids } },
  );
}
