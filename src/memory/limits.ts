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
