import { MnemosError } from './errors.js';

/** Request limits, matching the Tablestore Memory service so clients can move between them. */
export const limits = {
  maxMessages: 20,
  maxCharacters: 32_000,
  maxMetadataKeys: 16,
  maxMetadataKeyLength: 64,
  maxMetadataValueLength: 1_024,
  defaultTopK: 10,
  maxTopK: 50,
  maxStoreNameLength: 32,
  maxStoreDescriptionLength: 1_024,
  maxListLimit: 1_000,
} as const;

/** Validates list paging, applying the default limit; every list operation of every surface uses it. */
export function checkPage(
  limit: number | undefined,
  offset: number | undefined,
  defaultLimit: number,
): { limit: number; offset: number } {
  const page = { limit: limit ?? defaultLimit, offset: offset ?? 0 };
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > limits.maxListLimit) {
    throw new MnemosError(
      'invalid_input',
      `limit must be an integer from 1 to ${limits.maxListLimit}`,
      {
        details: { field: 'limit' },
      },
    );
  }
  if (!Number.isInteger(page.offset) || page.offset < 0) {
    throw new MnemosError('invalid_input', 'offset must be a non-negative integer', {
      details: { field: 'offset' },
    });
  }
  return page;
}
