import { ownRules, type SecretRule } from './own-rules.js';
import type { RedactionConfig } from './redaction-config.js';
import type { SecretFinding } from './secret-finding.js';
import { SecretlintRules } from './secretlint-rules.js';

/** What one redaction replaced. */
export interface RedactionReport {
  /** Secrets replaced. */
  count: number;
  /** Their kinds, each once, sorted. */
  kinds: string[];
}

/** A text with its secrets replaced, and what was replaced. */
export interface RedactedText extends RedactionReport {
  text: string;
}

const urlKinds = new Set(['database_url', 'url_password']);

let sharedSecretlint: SecretlintRules | undefined;

// The preset's rules cost about the same for 100 characters as for 30,000 (they build their
// patterns on every call), so a batch is scanned as one text.
const batchCharacters = 200_000;
const separator = '\n\n';

function withIndices(rule: SecretRule): SecretRule {
  const flags = rule.pattern.flags.includes('d') ? rule.pattern.flags : `${rule.pattern.flags}d`;
  return { kind: rule.kind, pattern: new RegExp(rule.pattern.source, flags) };
}

function ruleFindings(rule: SecretRule, text: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const match of text.matchAll(rule.pattern)) {
    const span = match.indices?.groups?.secret ?? match.indices?.[0];
    if (span && span[1] > span[0]) found.push({ start: span[0], end: span[1], kind: rule.kind });
  }
  return found;
}

/** Overlapping findings become one, with the kind of the one that starts first (longest on ties). */
function merge(findings: SecretFinding[]): SecretFinding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretFinding[] = [];
  for (const finding of sorted) {
    const last = merged[merged.length - 1];
    if (last && finding.start < last.end) last.end = Math.max(last.end, finding.end);
    else merged.push({ ...finding });
  }
  return merged;
}

/**
 * Replaces secrets with typed markers such as `[REDACTED:aws_access_key]`, keeping the rest of the
 * text: secretlint's recommended preset plus Mnemos' own rules and the configured extra patterns.
 * @example new Redactor().redact('key AKIAQWERTYUIOPASDFGH').text // 'key [REDACTED:aws_access_key]'
 */
export class Redactor {
  /** Whether anything is replaced at all (`redaction.enabled`). */
  readonly enabled: boolean;
  private readonly rules: SecretRule[];
  private readonly secretlint: SecretlintRules;

  constructor(config: RedactionConfig = {}) {
    this.enabled = config.enabled ?? true;
    this.rules = [
      ...ownRules.map(withIndices),
      ...(config.extra_patterns ?? []).map((extra) =>
        typeof extra === 'string'
          ? { kind: 'custom', pattern: new RegExp(extra, 'gd') }
          : {
              kind: extra.kind ?? 'custom',
              pattern: new RegExp(extra.pattern, `gd${extra.flags ?? ''}`),
            },
      ),
    ];
    sharedSecretlint ??= new SecretlintRules();
    this.secretlint = sharedSecretlint;
  }

  /** Where the secrets of a text are, merged and in order. */
  find(text: string): SecretFinding[] {
    return this.findMany([text])[0]!;
  }

  /** `find` for many texts, scanning them with the preset in large joined chunks. */
  findMany(texts: readonly string[]): SecretFinding[][] {
    if (!this.enabled) return texts.map(() => []);
    const preset: SecretFinding[][] = texts.map(() => []);
    let first = 0;
    while (first < texts.length) {
      let last = first;
      let length = texts[first]!.length;
      while (last + 1 < texts.length && length + texts[last + 1]!.length < batchCharacters) {
        last += 1;
        length += texts[last]!.length + separator.length;
      }
      const starts: number[] = [];
      let at = 0;
      for (let index = first; index <= last; index += 1) {
        starts.push(at);
        at += texts[index]!.length + separator.length;
      }
      const joined = texts.slice(first, last + 1).join(separator);
      for (const finding of joined.length === 0 ? [] : this.secretlint.find(joined)) {
        // A finding reaching over a separator is cut to each text it touches.
        for (let index = first; index <= last; index += 1) {
          const start = starts[index - first]!;
          const end = start + texts[index]!.length;
          if (finding.end <= start || finding.start >= end) continue;
          preset[index]!.push({
            kind: finding.kind,
            start: Math.max(finding.start, start) - start,
            end: Math.min(finding.end, end) - start,
          });
        }
      }
      first = last + 1;
    }
    return texts.map((text, index) => this.combine(text, preset[index]!));
  }

  private combine(text: string, fromPreset: SecretFinding[]): SecretFinding[] {
    if (text.length === 0) return [];
    const own = this.rules.flatMap((rule) => ruleFindings(rule, text));
    // The preset replaces a whole connection URL; Mnemos' own rule takes only its password.
    const preset = fromPreset.filter(
      (finding) =>
        !(
          urlKinds.has(finding.kind) &&
          own.some(
            (inner) =>
              inner.kind === 'url_password' &&
              inner.start >= finding.start &&
              inner.end <= finding.end,
          )
        ),
    );
    return merge([...preset, ...own]);
  }

  /** The text with every secret replaced by `[REDACTED:<kind>]`. */
  redact(text: string): RedactedText {
    return this.redactMany([text])[0]!;
  }

  /** `redact` for many texts at once (cheaper than one by one). */
  redactMany(texts: readonly string[]): RedactedText[] {
    return this.findMany(texts).map((findings, index) => replace(texts[index]!, findings));
  }

  /** Redacts every string value of a record (metadata), keeping the keys. */
  redactRecord(record: Record<string, string>): {
    record: Record<string, string>;
    redaction: RedactionReport;
  } {
    const entries = Object.entries(record);
    const redacted = this.redactMany(entries.map(([, value]) => value));
    return {
      record: Object.fromEntries(entries.map(([key], index) => [key, redacted[index]!.text])),
      redaction: combineReports(redacted),
    };
  }

  /** Redacts every string inside a JSON-like value (tool calls and results), keeping its shape. */
  redactValue(value: unknown): { value: unknown; redaction: RedactionReport } {
    const strings: string[] = [];
    collectStrings(value, strings);
    if (strings.length === 0) return { value, redaction: report([]) };
    const redacted = this.redactMany(strings);
    if (redacted.every((item) => item.count === 0)) return { value, redaction: report([]) };
    return {
      value: rebuild(
        value,
        redacted.map((item) => item.text),
        { index: 0 },
      ),
      redaction: combineReports(redacted),
    };
  }
}

/** Every string in a JSON-like value, depth first (keys are kept as they are). */
function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectStrings(item, into);
  }
}

/** The value with its strings taken, in `collectStrings` order, from `texts`. */
function rebuild(value: unknown, texts: readonly string[], at: { index: number }): unknown {
  if (typeof value === 'string') return texts[at.index++];
  if (Array.isArray(value)) return value.map((item) => rebuild(item, texts, at));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, rebuild(item, texts, at)]),
    );
  }
  return value;
}

function replace(text: string, findings: SecretFinding[]): RedactedText {
  if (findings.length === 0) return { text, count: 0, kinds: [] };
  let out = '';
  let at = 0;
  for (const finding of findings) {
    out += `${text.slice(at, finding.start)}[REDACTED:${finding.kind}]`;
    at = finding.end;
  }
  out += text.slice(at);
  return { text: out, ...report(findings.map((finding) => finding.kind)) };
}

/** Count and sorted distinct kinds of a list of finding kinds. */
export function report(kinds: string[]): RedactionReport {
  return { count: kinds.length, kinds: [...new Set(kinds)].sort() };
}

/** Adds reports together. */
export function combineReports(reports: RedactionReport[]): RedactionReport {
  return {
    count: reports.reduce((sum, part) => sum + part.count, 0),
    kinds: [...new Set(reports.flatMap((part) => part.kinds))].sort(),
  };
}

/** The warning a response carries when secrets were replaced; names kinds, never values. */
export function redactionWarning(redaction: RedactionReport): string {
  return `redacted ${redaction.count} secret${redaction.count === 1 ? '' : 's'} before storing (${redaction.kinds.join(', ')})`;
}

let defaultRedactor: Redactor | undefined;

/** The text with its secrets replaced by the default rules (redaction on, no extra patterns). */
export function redactSecrets(text: string): string {
  defaultRedactor ??= new Redactor();
  return defaultRedactor.redact(text).text;
}
