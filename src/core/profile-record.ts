/** Who wrote a profile value: a person or program through the API, or ingestion from a profile fact. */
export type ProfileSource = 'user' | 'extracted';

/** One attribute of a user's profile (the "meta memory"): name, language, tech stack, … */
export interface ProfileEntry {
  key: string;
  value: string;
  source: ProfileSource;
  /** The memory the value was extracted from, when it was. */
  memoryId: string | null;
  updatedAt: string;
}

/** A change to apply: a new value, or `null` to remove the key. */
export interface ProfileChange {
  key: string;
  value: string | null;
  source: ProfileSource;
  memoryId?: string | null | undefined;
}

/** One recorded change of a profile key; `oldValue` null means it was added, `newValue` null removed. */
export interface ProfileHistoryEntry {
  key: string;
  oldValue: string | null;
  newValue: string | null;
  source: ProfileSource;
  memoryId: string | null;
  createdAt: string;
}

/** Bounds of a profile: it is rendered into prompts, so it stays small. */
export const profileLimits = {
  maxKeys: 64,
  maxKeyLength: 48,
  maxValueLength: 500,
} as const;

const keyPattern = /^[a-z][a-z0-9_]*$/;

/**
 * A profile key in canonical form (`Tech Stack` → `tech_stack`), or null when it cannot be one:
 * keys are short lowercase ASCII snake_case so prompts and scripts can rely on them.
 */
export function normalizeProfileKey(key: string): string | null {
  const normalized = key
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (normalized.length === 0 || normalized.length > profileLimits.maxKeyLength) return null;
  return keyPattern.test(normalized) ? normalized : null;
}
