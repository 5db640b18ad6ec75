import type { SkillFiles } from '../core/skill-record.js';
import { scanForThreats, type ThreatCategory } from '../text/injection-scan.js';
import { skillLimits } from './skill-limits.js';
import { skillPathProblem } from './skill-path.js';
import {
  type SkillSeverity,
  type SkillThreatCategory,
  skillPatterns,
} from './skill-scan-patterns.js';

/** The outcome of a skill scan: `dangerous` blocks, `caution` needs a trusted source or --force. */
export type SkillVerdict = 'safe' | 'caution' | 'dangerous';

/** One suspicious line (or path, or limit) in a skill. */
export interface SkillFinding {
  /** Stable id of what was found, e.g. `ignore_instructions`, `pipe_download_to_shell`. */
  id: string;
  category: SkillThreatCategory;
  severity: SkillSeverity;
  /** The file, relative to the skill folder; `.` for the skill as a whole. */
  file: string;
  /** 1-based line; 0 when the finding is about the file or the skill as a whole. */
  line: number;
  /** A short cut of the line around what matched. */
  excerpt: string;
}

/** All findings of a scan and the verdict they add up to. */
export interface SkillScan {
  verdict: SkillVerdict;
  findings: SkillFinding[];
}

/**
 * Severity of the shared text scan's categories. Injection, exfiltration and hidden text aim at
 * the agent and block; an embedded secret is a leak of the author's, not an attack, so it warns.
 */
const threatSeverity: Record<ThreatCategory, SkillSeverity> = {
  injection: 'dangerous',
  exfiltration: 'dangerous',
  hidden_text: 'dangerous',
  secret: 'caution',
};

const hiddenCharacter = /[\u200B\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069]/;
const hiddenCharacters = new RegExp(hiddenCharacter.source, 'g');
const excerptLength = 160;
/** Findings kept per file, so a hostile file cannot flood the report. */
const maxFindingsPerFile = 50;

/**
 * Scans a skill before it is saved or installed: prompt injection, secrets and hidden characters
 * (the shared text scan, line by line), plus skill-specific patterns for exfiltration, destructive
 * commands, persistence, running downloaded code, obfuscation, unsafe paths, binary content and
 * size limits. Severities are listed in `skill-scan-patterns.ts`; the verdict is the worst one.
 * @example scanSkill({ 'SKILL.md': text }).verdict === 'safe'
 */
export function scanSkill(files: SkillFiles): SkillScan {
  const findings: SkillFinding[] = [];
  const paths = Object.keys(files);
  let total = 0;
  if (paths.length > skillLimits.maxFiles) {
    findings.push(
      limit('too_many_files', '.', `${paths.length} files (at most ${skillLimits.maxFiles})`),
    );
  }
  for (const path of paths) {
    const content = files[path] ?? '';
    const bytes = Buffer.byteLength(content, 'utf8');
    total += bytes;
    const problem = skillPathProblem(path);
    if (problem !== null) {
      findings.push({
        id: 'unsafe_path',
        category: 'traversal',
        severity: 'dangerous',
        file: path,
        line: 0,
        excerpt: `${JSON.stringify(path)}: ${problem}`,
      });
    }
    if (hiddenCharacter.test(path)) {
      findings.push({
        id: 'hidden_characters_in_path',
        category: 'hidden_text',
        severity: 'dangerous',
        file: path,
        line: 0,
        excerpt: JSON.stringify(path),
      });
    }
    if (bytes > skillLimits.maxFileBytes) {
      findings.push(
        limit('file_too_large', path, `${bytes} bytes (at most ${skillLimits.maxFileBytes})`),
      );
    }
    if (content.includes('\u0000')) {
      // Binary content cannot be read for threats; it is flagged and its lines are not scanned.
      findings.push({
        id: 'binary_content',
        category: 'binary',
        severity: 'caution',
        file: path,
        line: 0,
        excerpt: 'the file holds NUL bytes',
      });
      continue;
    }
    findings.push(...scanFile(path, content));
  }
  if (total > skillLimits.maxSkillBytes) {
    findings.push(
      limit('skill_too_large', '.', `${total} bytes (at most ${skillLimits.maxSkillBytes})`),
    );
  }
  return { verdict: verdictOf(findings), findings };
}

/** The findings of a scan, one line each: `file:line category/id: excerpt`. */
export function describeScan(scan: SkillScan): string {
  return scan.findings
    .map(
      (finding) =>
        `${finding.file}:${finding.line} ${finding.category}/${finding.id}: ${finding.excerpt}`,
    )
    .join('\n');
}

function scanFile(file: string, content: string): SkillFinding[] {
  const findings: SkillFinding[] = [];
  const lines = content.split('\n');
  for (let index = 0; index < lines.length && findings.length < maxFindingsPerFile; index += 1) {
    // A byte-order mark opening a file is an encoding marker, not hidden text.
    const line = (lines[index] ?? '').replace(/\r$/, '');
    const raw = index === 0 ? line.replace(/^\uFEFF/, '') : line;
    if (raw.trim() === '') continue;
    const number = index + 1;
    const seen = new Set<string>();
    const add = (
      id: string,
      category: SkillThreatCategory,
      severity: SkillSeverity,
      at: number,
      text: string,
    ) => {
      if (seen.has(id)) return;
      seen.add(id);
      const excerpt = excerptAt(text, at);
      findings.push({
        id,
        category,
        severity,
        file,
        line: number,
        // Reports are printed and logged; they must not carry the secret they warn about.
        excerpt: category === 'secret' ? maskSecrets(excerpt) : excerpt,
      });
    };
    const threat = sharedScan(raw);
    // Hidden characters can split words ("ig\u200Bnore"), so look again with them removed.
    const visible = raw.replace(hiddenCharacters, '');
    const again = threat?.category === 'hidden_text' ? sharedScan(visible) : null;
    for (const found of [threat, again]) {
      if (found === null) continue;
      const category = found.id === 'ssh_backdoor' ? 'persistence' : found.category;
      add(found.id, category, sharedSeverity(found), 0, visible);
    }
    const folded = visible.normalize('NFKC');
    for (const { id, category, severity, pattern, alsoNeeds } of skillPatterns) {
      const match = pattern.exec(folded);
      if (match === null || (alsoNeeds !== undefined && !alsoNeeds.test(folded))) continue;
      add(id, category, severity, match.index, folded);
    }
  }
  return findings;
}

/**
 * The shared text scan, except that a token sent as a request header or basic-auth user
 * (`curl -H "Authorization: Bearer $TOKEN" https://api…`, `curl -u $KEY:`) is how skills call
 * APIs, not exfiltration: those arguments are set aside before that one rule is trusted.
 */
function sharedScan(line: string): ReturnType<typeof scanForThreats> {
  let threat = scanForThreats(line);
  if (threat?.id === 'exfil_command') {
    const withoutCredentials = line
      .replace(/\s(?:-H|--header)\s{1,5}(["'])[^"'\n]{0,300}\1/g, ' ')
      .replace(/\s(?:-u|--user)\s{1,5}\S{1,300}/g, ' ');
    threat = scanForThreats(withoutCredentials);
  }
  // Skill code names its secrets (`ApiKey = Environment.GetEnvironmentVariable(…)`,
  // `--password=mypassword`): only a literal that looks real counts as an embedded secret.
  if (
    (threat?.id === 'secret_value' || threat?.id === 'password_value') &&
    !hasLiteralSecret(line)
  ) {
    return null;
  }
  return threat;
}

/** Severity in a skill of a shared finding; skill patterns still block sending secret files. */
function sharedSeverity(finding: NonNullable<ReturnType<typeof scanForThreats>>): SkillSeverity {
  return softenedInSkills.has(finding.id) ? 'caution' : threatSeverity[finding.category];
}

/**
 * Shared rules that warn in skills: the verb-data-URL heuristic (it reads API documentation
 * tables as threats), chat control tokens (skills about models quote `<|endoftext|>`) and
 * writing `authorized_keys` (persistence, which warns; a literal key appended still blocks).
 */
const softenedInSkills = new Set(['send_data_to_url', 'control_tokens', 'ssh_backdoor']);

const secretAssignment =
  /(?:key|secret|token|passw(?:or)?d|pwd|passphrase)\w{0,30}["']?\s{0,3}[:=]\s{0,3}(["']?)([^\s"'(),;]{1,200})/gi;

/** True when a secret-named key is given a literal: quoted (8+ characters) or a long token with digits. */
function hasLiteralSecret(line: string): boolean {
  for (const [, quote, value = ''] of line.matchAll(secretAssignment)) {
    if (/\.{3}|…|^[<${[]|x{4}|your|example|placeholder|changeme/i.test(value)) continue;
    if (quote !== '' && value.length >= 8) return true;
    if (value.length >= 16 && /\d/.test(value) && /[A-Za-z]/.test(value) && !/[.[]/.test(value)) {
      return true;
    }
  }
  return false;
}

function excerptAt(text: string, at: number): string {
  const start = Math.max(0, at - 40);
  const cut = text.slice(start, start + excerptLength).trim();
  return `${start > 0 ? '…' : ''}${cut}${start + excerptLength < text.length ? '…' : ''}`;
}

/** Keeps four characters of every long token, enough to recognise it, not to use it. */
function maskSecrets(text: string): string {
  return text.replace(/([A-Za-z0-9+/_=-]{4})[A-Za-z0-9+/_=.~-]{4,}/g, '$1…');
}

function limit(id: string, file: string, excerpt: string): SkillFinding {
  return { id, category: 'limits', severity: 'caution', file, line: 0, excerpt };
}

function verdictOf(findings: readonly SkillFinding[]): SkillVerdict {
  if (findings.some((finding) => finding.severity === 'dangerous')) return 'dangerous';
  return findings.length > 0 ? 'caution' : 'safe';
}
