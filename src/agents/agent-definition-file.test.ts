import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { parseAgentDefinitionText, readAgentDefinitionFile } from './agent-definition-file.js';

let dir: ReturnType<typeof tempHome> | null = null;
afterEach(() => {
  dir?.remove();
  dir = null;
});

/** Writes `agents/<file>` in a fresh home and returns its path. */
function file(name: string, text: string): string {
  dir ??= tempHome();
  mkdirSync(join(dir.home, 'agents'), { recursive: true });
  const path = join(dir.home, 'agents', name);
  writeFileSync(path, text);
  return path;
}

function errorOf(work: () => unknown): MnemosError {
  try {
    work();
  } catch (error) {
    if (MnemosError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a failure, but it succeeded');
}

describe('agent definition files', () => {
  it('reads a valid file with defaults applied', () => {
    const path = file(
      'support.yaml',
      [
        'name: support',
        'description: Answers customers',
        'llm: openai/gpt-4o-mini',
        'system_prompt: |',
        '  You are the support desk of the shop.',
        'tools:',
        '  - web',
        '  - type: openapi',
        '    name: orders',
        '    spec_url: https://shop.example/openapi.json',
        '    auth: { type: bearer, token_env: SHOP_TOKEN }',
        'max_iter: 5',
        '',
      ].join('\n'),
    );
    const definition = readAgentDefinitionFile(path, 'agents/support.yaml');
    expect(definition).toMatchObject({
      name: 'support',
      llm: 'openai/gpt-4o-mini',
      system_prompt: 'You are the support desk of the shop.\n',
      memory: { enabled: true, notes: true },
      skills: [],
      max_iter: 5,
      limits: {},
    });
    expect(definition.tools?.[1]).toMatchObject({ type: 'openapi', timeout_ms: 15_000 });
  });

  it('names the file and the field path of each problem', () => {
    const path = file(
      'support.yaml',
      [
        'name: support',
        'tools:',
        '  - type: openapi',
        '    name: orders',
        '    spec_url: not a url',
        '  - type: mcp',
        'memory:',
        '  enabled: "yes"',
        'llm: { model: m, temprature: 0.5 }',
        '',
      ].join('\n'),
    );
    const error = errorOf(() => readAgentDefinitionFile(path, 'agents/support.yaml'));
    expect(error.code).toBe('invalid_input');
    const lines = error.message.split('; ');
    expect(lines).toContain('agents/support.yaml: tools.0.spec_url: Invalid URL');
    expect(lines.some((line) => line.startsWith('agents/support.yaml: tools.1.server: '))).toBe(
      true,
    );
    expect(lines.some((line) => line.startsWith('agents/support.yaml: memory.enabled: '))).toBe(
      true,
    );
    expect(lines.some((line) => /^agents\/support\.yaml: llm: .*temprature/.test(line))).toBe(true);
    expect(error.details.file).toBe('agents/support.yaml');
  });

  it('says which tool types exist when an entry has an unknown one', () => {
    const parsed = parseAgentDefinitionText('name: a\ntools:\n  - type: shell\n', 'a');
    expect(parsed.issues).toEqual([
      { path: 'tools.0', message: expect.stringMatching(/builtin.*mcp.*openapi|openapi.*builtin/) },
    ]);
  });

  it('refuses a name other than the file name, and takes the file name when none is given', () => {
    const error = errorOf(() =>
      readAgentDefinitionFile(file('support.yaml', 'name: helpdesk\n'), 'agents/support.yaml'),
    );
    expect(error.message).toMatch(
      /^agents\/support\.yaml: name: "helpdesk" differs from the file name: name the file helpdesk\.yaml or set name: support$/,
    );
    expect(readAgentDefinitionFile(file('writer.yml', 'description: Writes\n')).name).toBe(
      'writer',
    );
  });

  it('reports YAML that does not parse with its line, and a file that is not a mapping', () => {
    const broken = errorOf(() =>
      readAgentDefinitionFile(file('a.yaml', 'name: a\ntools: [web\n'), 'agents/a.yaml'),
    );
    expect(broken.message).toMatch(/^agents\/a\.yaml: not valid YAML: line \d+, column \d+: /);
    const list = errorOf(() => readAgentDefinitionFile(file('b.yaml', '- web\n'), 'agents/b.yaml'));
    expect(list.message).toBe(
      'agents/b.yaml: must be a YAML mapping of fields (name, description, …)',
    );
    const duplicate = errorOf(() =>
      readAgentDefinitionFile(file('c.yaml', 'name: c\nname: c\n'), 'agents/c.yaml'),
    );
    expect(duplicate.message).toMatch(/not valid YAML/);
  });
});
