/** One problem found in a skill; `rule` is a stable id such as `name_format`. */
export interface SkillIssue {
  level: 'error' | 'warning';
  rule: string;
  message: string;
  /** The file the issue is about, relative to the skill folder. */
  file?: string;
}

/** An error issue, optionally about one file. */
export function skillError(rule: string, message: string, file?: string): SkillIssue {
  return file === undefined
    ? { level: 'error', rule, message }
    : { level: 'error', rule, message, file };
}

/** A warning issue, optionally about one file. */
export function skillWarning(rule: string, message: string, file?: string): SkillIssue {
  return file === undefined
    ? { level: 'warning', rule, message }
    : { level: 'warning', rule, message, file };
}
