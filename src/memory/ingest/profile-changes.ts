import { type ProfileChange, profileLimits } from '../../core/profile-record.js';
import type { ExtractedMemory } from '../../spec/extractor.js';

/**
 * The profile values of one job's units, in order: the last value of a key wins, values equal to the
 * current ones are dropped, and new keys stop at the profile's key limit.
 */
export class ProfileChanges {
  private readonly byKey = new Map<string, ProfileChange>();
  private readonly keys: Set<string>;

  constructor(private readonly current: Readonly<Record<string, string>>) {
    this.keys = new Set(Object.keys(current));
  }

  /** Notes the profile value a unit carries, tied to the memory it became. */
  note(unit: Pick<ExtractedMemory, 'profile'>, memoryId: string | null): void {
    const attribute = unit.profile;
    if (!attribute) return;
    if (!this.keys.has(attribute.key)) {
      if (this.keys.size >= profileLimits.maxKeys) return;
      this.keys.add(attribute.key);
    }
    this.byKey.delete(attribute.key);
    if (this.current[attribute.key] === attribute.value) return;
    this.byKey.set(attribute.key, {
      key: attribute.key,
      value: attribute.value,
      source: 'extracted',
      memoryId,
    });
  }

  /** The changes to commit with the job. */
  get changes(): ProfileChange[] {
    return [...this.byKey.values()];
  }
}
