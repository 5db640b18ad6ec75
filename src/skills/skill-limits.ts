/** Size limits of one skill, shared by validation, the safety scan, folder reads and archive extraction. */
export const skillLimits = {
  maxNameLength: 64,
  maxDescriptionLength: 1024,
  maxCompatibilityLength: 500,
  maxFiles: 50,
  maxFileBytes: 256 * 1024,
  maxSkillBytes: 1024 * 1024,
  maxBodyLines: 500,
  /** Longest file path inside a skill, in characters. */
  maxPathLength: 255,
  /** Entries one archive may hold (it may carry several skills). */
  maxArchiveEntries: 2000,
  /** Bytes one archive may unpack to, summed over its entries. */
  maxArchiveBytes: 32 * 1024 * 1024,
} as const;

/** The optional folders of a skill next to its SKILL.md. */
export const skillFolders = ['scripts', 'references', 'assets', 'templates'] as const;
