import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type AgentDefinition, agentDefinitionSchema } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';

/** One problem of a definition: where (a dotted field path, '' for the whole) and what. */
export interface DefinitionIssue {
  path: string;
  message: string;
}

/** Largest agent definition file read, bytes (a prompt of 32 KiB plus tools fits easily). */
const maxFileBytes = 256 * 1024;

interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  errors?: ZodIssueLike[][];
  values?: unknown[];
}

/**
 * The issues of a failed parse, each at its field path. A union's failure (an entry of `tools`, the
 * `llm`) is reported by the branch the value meant: the one whose `type` matched, or the object
 * form when the value is an object, instead of a bare "Invalid input".
 */
export function definitionIssues(issues: ReadonlyArray<ZodIssueLike>): DefinitionIssue[] {
  const out: DefinitionIssue[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String);
    if (issue.code === 'invalid_union' && issue.errors) {
      const meant = issue.errors.filter((branch) => !branch.some(wrongForm));
      if (meant.length > 0) {
        const closest = meant.reduce((best, branch) =>
          branch.length < best.length ? branch : best,
        );
        for (const nested of definitionIssues(closest))
          out.push({ path: join(at, nested.path), message: nested.message });
        continue;
      }
      const types = issue.errors
        .flat()
        .filter((nested) => nested.code === 'invalid_value' && nested.path.join('.') === 'type')
        .flatMap((nested) => nested.values ?? [])
        .map(String);
      out.push({
        path: at.join('.'),
        message:
          types.length > 0
            ? `must be a name, or an object whose type is one of ${types.join(', ')}`
            : issue.message,
      });
      continue;
    }
    out.push({ path: at.join('.'), message: issue.message });
  }
  return out;
}

/** True when a branch's issue says the value is not of that branch's form at all. */
function wrongForm(issue: ZodIssueLike): boolean {
  if (issue.code === 'invalid_type' && issue.path.length === 0) return true;
  return issue.code === 'invalid_value' && issue.path.join('.') === 'type';
}

function join(prefix: string[], path: string): string {
  return [...prefix, ...(path ? [path] : [])].join('.');
}

/** `path: message`, or the message alone for the whole definition. */
export function issueText(issue: DefinitionIssue, prefix = ''): string {
  const path = [prefix, issue.path].filter((part) => part !== '').join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates a definition given as a value (the YAML of a file, the JSON of a request); issues
 * instead of a throw, so every one can be reported.
 */
export function checkAgentDefinition(
  value: unknown,
): { definition: AgentDefinition; issues: [] } | { definition: null; issues: DefinitionIssue[] } {
  const parsed = agentDefinitionSchema.safeParse(value);
  if (parsed.success) return { definition: parsed.data, issues: [] };
  return { definition: null, issues: definitionIssues(parsed.error.issues as ZodIssueLike[]) };
}

/** The error of a definition file with these issues: `<file>: <field>: <problem>` for each. */
export function fileDefinitionError(file: string, issues: DefinitionIssue[]): MnemosError {
  return new MnemosError(
    'invalid_input',
    issues.map((issue) => `${file}: ${issueText(issue)}`).join('; '),
    { details: { file, issues, ...(issues[0] ? { field: issues[0].path } : {}) } },
  );
}

/** The error of a definition sent as the request field `field`: `<field>.<path>: <problem>` for each. */
export function fieldDefinitionError(field: string, issues: DefinitionIssue[]): MnemosError {
  const prefixed = issues.map((issue) => ({
    path: [field, issue.path].filter((part) => part !== '').join('.'),
    message: issue.message,
  }));
  return new MnemosError('invalid_input', prefixed.map((issue) => issueText(issue)).join('; '), {
    details: { issues: prefixed, ...(prefixed[0] ? { field: prefixed[0].path } : {}) },
  });
}

/** The agent name a definition file declares by its name: the file name without `.yaml`/`.yml`. */
export function definitionStem(path: string): string {
  return basename(path, extname(path));
}

/** True for a file name an agent definition may have. */
export function isDefinitionFileName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !name.startsWith('.');
}

/**
 * Every problem of one definition file's text: YAML that does not parse, a value that is not a
 * mapping, schema issues by field path, and a `name` other than the file's stem (a missing name
 * is the stem). Returns the definition when there are none.
 */
export function parseAgentDefinitionText(
  text: string,
  stem: string,
): { definition: AgentDefinition; issues: [] } | { definition: null; issues: DefinitionIssue[] } {
  const lines = new LineCounter();
  const document = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: lines,
  });
  if (document.errors.length > 0) {
    return {
      definition: null,
      issues: document.errors.map((error) => {
        const where = lines.linePos(error.pos[0]);
        const position = `line ${where.line}, column ${where.col}: `;
        return { path: '', message: `not valid YAML: ${position}${error.message.split('\n')[0]}` };
      }),
    };
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      definition: null,
      issues: [{ path: '', message: 'must be a YAML mapping of fields (name, description, …)' }],
    };
  }
  const fields = value as Record<string, unknown>;
  const named = fields.name === undefined ? { ...fields, name: stem } : fields;
  const checked = checkAgentDefinition(named);
  if (typeof named.name === 'string' && named.name !== stem) {
    const mismatch: DefinitionIssue = {
      path: 'name',
      message: `${JSON.stringify(named.name)} differs from the file name: name the file ${named.name}.yaml or set name: ${stem}`,
    };
    return { definition: null, issues: [mismatch, ...checked.issues] };
  }
  return checked;
}

/**
 * Reads and validates one agent definition file; fails with `invalid_input` naming the file (as
 * `label`, e.g. `agents/support.yaml`) and each field path.
 */
export function readAgentDefinitionFile(path: string, label = path): AgentDefinition {
  const checked = checkAgentDefinitionFile(path);
  if (checked.definition === null) throw fileDefinitionError(label, checked.issues);
  return checked.definition;
}

/** {@link readAgentDefinitionFile} without the throw: the definition, or every problem of the file. */
export function checkAgentDefinitionFile(
  path: string,
): { definition: AgentDefinition; issues: [] } | { definition: null; issues: DefinitionIssue[] } {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    return {
      definition: null,
      issues: [{ path: '', message: `cannot read it: ${(error as Error).message}` }],
    };
  }
  if (buffer.length > maxFileBytes) {
    return {
      definition: null,
      issues: [
        {
          path: '',
          message: `${buffer.length} bytes, over the ${maxFileBytes} bytes an agent definition may have`,
        },
      ],
    };
  }
  return parseAgentDefinitionText(buffer.toString('utf8'), definitionStem(path));
}
