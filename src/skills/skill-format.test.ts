import { describe, expect, it } from 'vitest';
import {
  composeSkillMarkdown,
  parseSkillMarkdown,
  type SkillIssue,
  skillNamePattern,
  validateSkill,
} from './skill-format.js';
import { skillLimits } from './skill-limits.js';

const body = '# Steps\n\n1. Run `git status`.';

function markdown(frontmatter: string, text = body): string {
  return `---\n${frontmatter}\n---\n\n${text}\n`;
}

function rules(issues: SkillIssue[], level?: 'error' | 'warning'): string[] {
  return issues.filter((issue) => level === undefined || issue.level === level).map((i) => i.rule);
}

describe('skillNamePattern', () => {
  it('accepts kebab-case names up to 64 characters', () => {
    for (const name of ['a', 'git-flow', 'pdf2text', 'a'.repeat(64)]) {
      expect(skillNamePattern.test(name)).toBe(true);
    }
  });
  it('refuses upper case, leading, trailing and double dashes, and 65 characters', () => {
    for (const name of ['', 'Git', '-a', 'a-', 'a--b', 'a_b', 'a b', 'é', 'a'.repeat(65)]) {
      expect(skillNamePattern.test(name)).toBe(false);
    }
  });
});

describe('parseSkillMarkdown (lenient)', () => {
  it('loads a valid skill with every field', () => {
    const text = markdown(
      [
        'name: git-flow',
        'description: Branch, commit and open a pull request.',
        'license: MIT',
        'compatibility: Needs git 2.40+',
        'metadata:',
        '  author: team',
        '  version: "1.0"',
        'allowed-tools: Bash(git status:*) Read',
        'user-invocable: true',
      ].join('\n'),
    );
    const { skill, issues } = parseSkillMarkdown(text, { folderName: 'git-flow' });
    expect(skill?.frontmatter).toEqual({
      name: 'git-flow',
      description: 'Branch, commit and open a pull request.',
      license: 'MIT',
      compatibility: 'Needs git 2.40+',
      metadata: { author: 'team', version: '1.0' },
      allowedTools: ['Bash(git status:*)', 'Read'],
      extra: { 'user-invocable': true },
    });
    expect(skill?.body).toBe(body);
    expect(rules(issues)).toEqual(['frontmatter_unknown_key']);
  });

  it('accepts \\r\\n line ends and a BOM', () => {
    const text = `\uFEFF${markdown('name: a\ndescription: b').replace(/\n/g, '\r\n')}`;
    const { skill, issues } = parseSkillMarkdown(text);
    expect(skill?.frontmatter.name).toBe('a');
    expect(skill?.body).toBe(body);
    expect(issues).toEqual([]);
  });

  it('name_folder_mismatch is a warning and the skill loads', () => {
    const { skill, issues } = parseSkillMarkdown(markdown('name: a\ndescription: b'), {
      folderName: 'other',
    });
    expect(skill?.frontmatter.name).toBe('a');
    expect(rules(issues, 'warning')).toEqual(['name_folder_mismatch']);
  });

  it('name_format is a warning and the skill loads', () => {
    const { skill, issues } = parseSkillMarkdown(markdown('name: Git_Flow\ndescription: b'));
    expect(skill?.frontmatter.name).toBe('Git_Flow');
    expect(rules(issues, 'warning')).toEqual(['name_format']);
  });

  it('name_length is a warning and the skill loads', () => {
    const { skill, issues } = parseSkillMarkdown(
      markdown(`name: ${'a'.repeat(65)}\ndescription: b`),
    );
    expect(skill).not.toBeNull();
    expect(rules(issues, 'warning')).toEqual(['name_length']);
  });

  it('name_missing falls back to the folder name with a warning', () => {
    const { skill, issues } = parseSkillMarkdown(markdown('description: b'), { folderName: 'dir' });
    expect(skill?.frontmatter.name).toBe('dir');
    expect(rules(issues, 'warning')).toEqual(['name_missing']);
  });

  it('name_missing without a folder is an error', () => {
    const { skill, issues } = parseSkillMarkdown(markdown('description: b'));
    expect(skill).toBeNull();
    expect(rules(issues, 'error')).toEqual(['name_missing']);
  });

  it('description_missing is an error and the skill does not load', () => {
    for (const frontmatter of ['name: a', 'name: a\ndescription: ""', 'name: a\ndescription:']) {
      const { skill, issues } = parseSkillMarkdown(markdown(frontmatter));
      expect(skill).toBeNull();
      expect(rules(issues, 'error')).toEqual(['description_missing']);
    }
  });

  it('description_type is an error', () => {
    const { skill, issues } = parseSkillMarkdown(markdown('name: a\ndescription: [x]'));
    expect(skill).toBeNull();
    expect(rules(issues, 'error')).toEqual(['description_type']);
  });

  it('description_length is a warning', () => {
    const long = 'd'.repeat(skillLimits.maxDescriptionLength + 1);
    const { skill, issues } = parseSkillMarkdown(markdown(`name: a\ndescription: ${long}`));
    expect(skill?.frontmatter.description).toBe(long);
    expect(rules(issues, 'warning')).toEqual(['description_length']);
  });

  it('counts characters, not bytes: 1024 Chinese characters fit', () => {
    const long = '技'.repeat(skillLimits.maxDescriptionLength);
    expect(parseSkillMarkdown(markdown(`name: a\ndescription: ${long}`)).issues).toEqual([]);
  });

  it('compatibility_length is a warning', () => {
    const long = 'c'.repeat(skillLimits.maxCompatibilityLength + 1);
    const { skill, issues } = parseSkillMarkdown(
      markdown(`name: a\ndescription: b\ncompatibility: ${long}`),
    );
    expect(skill?.frontmatter.compatibility).toBe(long);
    expect(rules(issues, 'warning')).toEqual(['compatibility_length']);
  });

  it('metadata_type is a warning and the raw value is kept in extra', () => {
    const { skill, issues } = parseSkillMarkdown(
      markdown('name: a\ndescription: b\nmetadata:\n  hermes:\n    tags: [x, y]'),
    );
    expect(skill?.frontmatter.metadata).toBeUndefined();
    expect(skill?.frontmatter.extra).toEqual({ metadata: { hermes: { tags: ['x', 'y'] } } });
    expect(rules(issues, 'warning')).toEqual(['metadata_type']);
  });

  it('allowed_tools_type is a warning; a list of strings is accepted', () => {
    const bad = parseSkillMarkdown(markdown('name: a\ndescription: b\nallowed-tools: 3'));
    expect(bad.skill?.frontmatter.allowedTools).toBeUndefined();
    expect(rules(bad.issues, 'warning')).toEqual(['allowed_tools_type']);
    const list = parseSkillMarkdown(
      markdown('name: a\ndescription: b\nallowed-tools: [Read, Bash]'),
    );
    expect(list.skill?.frontmatter.allowedTools).toEqual(['Read', 'Bash']);
  });

  it('license_type is a warning', () => {
    const { skill, issues } = parseSkillMarkdown(
      markdown('name: a\ndescription: b\nlicense: [MIT]'),
    );
    expect(skill?.frontmatter.license).toBeUndefined();
    expect(rules(issues, 'warning')).toEqual(['license_type']);
  });

  it('frontmatter_missing is an error', () => {
    const { skill, issues } = parseSkillMarkdown('# Just a title\n\nname: a\n');
    expect(skill).toBeNull();
    expect(rules(issues)).toEqual(['frontmatter_missing']);
  });

  it('frontmatter_unclosed is an error', () => {
    const { skill, issues } = parseSkillMarkdown('---\nname: a\ndescription: b\n\n# Body\n');
    expect(skill).toBeNull();
    expect(rules(issues)).toEqual(['frontmatter_unclosed']);
  });

  it('frontmatter_yaml is an error for YAML that does not parse', () => {
    for (const yaml of [
      'name: a\ndescription: [unclosed',
      'name: a\nname: b\ndescription: c',
      '- a\n- b',
    ]) {
      const { skill, issues } = parseSkillMarkdown(markdown(yaml));
      expect(skill).toBeNull();
      expect(rules(issues, 'error')).toContain('frontmatter_yaml');
    }
  });

  it('an unquoted colon in a value is repaired with a warning', () => {
    const { skill, issues } = parseSkillMarkdown(
      markdown('name: a\ndescription: Use when: the user asks for a PDF'),
    );
    expect(skill?.frontmatter.description).toBe('Use when: the user asks for a PDF');
    expect(rules(issues)).toEqual(['frontmatter_yaml_repaired']);
  });

  it('body_empty is a warning', () => {
    const { skill, issues } = parseSkillMarkdown('---\nname: a\ndescription: b\n---\n\n  \n');
    expect(skill?.body).toBe('');
    expect(rules(issues, 'warning')).toEqual(['body_empty']);
  });

  it('body_too_long is a warning', () => {
    const long = Array.from({ length: skillLimits.maxBodyLines + 1 }, (_, i) => `line ${i}`).join(
      '\n',
    );
    const { skill, issues } = parseSkillMarkdown(markdown('name: a\ndescription: b', long));
    expect(skill).not.toBeNull();
    expect(rules(issues, 'warning')).toEqual(['body_too_long']);
  });

  it('stops an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(
        Array.from(
          { length: 8 },
          (_, i) =>
            `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`,
        ),
      )
      .concat(['name: a', 'description: b'])
      .join('\n');
    const { skill, issues } = parseSkillMarkdown(markdown(bomb));
    expect(skill).toBeNull();
    expect(rules(issues, 'error')).toContain('frontmatter_yaml');
  });
});

describe('validateSkill (strict)', () => {
  const valid = markdown('name: git-flow\ndescription: Branch and commit.');

  it('reports nothing for a valid skill', () => {
    expect(validateSkill({ 'SKILL.md': valid, 'scripts/run.sh': 'echo hi\n' }, 'git-flow')).toEqual(
      [],
    );
  });

  it.each([
    ['name_missing', 'description: b'],
    ['name_format', 'name: Git_Flow\ndescription: b'],
    ['name_length', `name: ${'a'.repeat(65)}\ndescription: b`],
    ['name_folder_mismatch', 'name: other\ndescription: b'],
    ['description_missing', 'name: git-flow'],
    ['description_length', `name: git-flow\ndescription: ${'d'.repeat(1025)}`],
    ['compatibility_length', `name: git-flow\ndescription: b\ncompatibility: ${'c'.repeat(501)}`],
    ['metadata_type', 'name: git-flow\ndescription: b\nmetadata: [x]'],
    ['allowed_tools_type', 'name: git-flow\ndescription: b\nallowed-tools: {a: 1}'],
    ['frontmatter_yaml', 'name: git-flow\ndescription: [x'],
    ['frontmatter_yaml_repaired', 'name: git-flow\ndescription: Use when: asked'],
  ])('%s is an error', (rule, frontmatter) => {
    const issues = validateSkill({ 'SKILL.md': markdown(frontmatter) }, 'git-flow');
    expect(rules(issues, 'error')).toContain(rule);
    expect(issues.find((issue) => issue.rule === rule)?.file).toBe('SKILL.md');
  });

  it('frontmatter_missing and frontmatter_unclosed are errors', () => {
    expect(rules(validateSkill({ 'SKILL.md': '# no frontmatter' }, 'a'), 'error')).toEqual([
      'frontmatter_missing',
    ]);
    expect(rules(validateSkill({ 'SKILL.md': '---\nname: a\n' }, 'a'), 'error')).toEqual([
      'frontmatter_unclosed',
    ]);
  });

  it('body_empty is an error, body_too_long and unknown keys stay warnings', () => {
    const empty = validateSkill({ 'SKILL.md': '---\nname: a\ndescription: b\n---\n' }, 'a');
    expect(rules(empty, 'error')).toEqual(['body_empty']);
    const long = markdown('name: a\ndescription: b\nversion: 1', 'x\n'.repeat(600));
    const issues = validateSkill({ 'SKILL.md': long }, 'a');
    expect(rules(issues, 'error')).toEqual([]);
    expect(rules(issues, 'warning').sort()).toEqual(['body_too_long', 'frontmatter_unknown_key']);
  });

  it('skill_md_missing when there is no SKILL.md', () => {
    expect(rules(validateSkill({ 'README.md': 'x' }, 'a'))).toEqual(['skill_md_missing']);
  });

  it('file_path refuses absolute, parent, backslash, drive and empty-segment paths', () => {
    const bad = [
      '/etc/passwd',
      '../evil',
      'scripts/../../x',
      'scripts\\run.ps1',
      'C:/x',
      'a//b',
      'a/',
      './a',
      'a\u0000b',
      '',
    ];
    const files: Record<string, string> = { 'SKILL.md': valid };
    for (const path of bad) files[path] = 'x';
    const issues = validateSkill(files, 'git-flow');
    expect(
      issues
        .filter((issue) => issue.rule === 'file_path')
        .map((issue) => issue.file)
        .sort(),
    ).toEqual([...bad].sort());
    expect(issues.every((issue) => issue.level === 'error')).toBe(true);
  });

  it('file_case_conflict, file_hidden and binary_file', () => {
    const issues = validateSkill(
      {
        'SKILL.md': valid,
        'assets/a.txt': 'x',
        'assets/A.txt': 'y',
        '.env': 'K=v',
        'assets/b': 'a\u0000b',
      },
      'git-flow',
    );
    expect(issues.map((issue) => `${issue.level}:${issue.rule}:${issue.file}`).sort()).toEqual([
      'error:binary_file:assets/b',
      'error:file_case_conflict:assets/A.txt',
      'warning:file_hidden:.env',
    ]);
  });

  it('file_too_large, too_many_files and skill_too_large', () => {
    const big = 'x'.repeat(skillLimits.maxFileBytes + 1);
    expect(rules(validateSkill({ 'SKILL.md': valid, 'assets/big.txt': big }, 'git-flow'))).toEqual([
      'file_too_large',
    ]);
    const many: Record<string, string> = { 'SKILL.md': valid };
    for (let i = 0; i < skillLimits.maxFiles; i += 1) many[`references/${i}.md`] = 'x';
    expect(rules(validateSkill(many, 'git-flow'))).toEqual(['too_many_files']);
    const heavy: Record<string, string> = { 'SKILL.md': valid };
    for (let i = 0; i < 5; i += 1) heavy[`assets/${i}.txt`] = 'x'.repeat(250 * 1024);
    expect(rules(validateSkill(heavy, 'git-flow'))).toEqual(['skill_too_large']);
  });
});

describe('composeSkillMarkdown', () => {
  it('writes fences, a blank line and the body', () => {
    expect(composeSkillMarkdown({ name: 'a', description: 'b' }, '# T')).toBe(
      '---\nname: a\ndescription: b\n---\n\n# T\n',
    );
  });

  it('round-trips through parseSkillMarkdown', () => {
    const frontmatter = {
      name: 'pdf-tools',
      description: 'Use when: the user asks for a PDF.\nSecond line with "quotes" and # hash.',
      license: 'Apache-2.0',
      compatibility: 'Python 3.11+',
      metadata: { version: '1.0', flag: 'yes', empty: '' },
      allowedTools: ['Bash(python scripts/run.py:*)', 'Read'],
      extra: { 'user-invocable': false, tags: ['pdf', 'docs'] },
    };
    const text = '# PDF\n\n```sh\npython scripts/run.py\n```\n\n---\n\n中文说明';
    const parsed = parseSkillMarkdown(composeSkillMarkdown(frontmatter, text));
    expect(parsed.skill).toEqual({ frontmatter, body: text });
    const plain = { name: 'a', description: 'b', allowedTools: ['Read', 'Grep'], extra: {} };
    expect(parseSkillMarkdown(composeSkillMarkdown(plain, 'x')).skill?.frontmatter).toEqual(plain);
  });

  it('keeps wrongly typed known keys from extra, and typed fields win over extra', () => {
    const parsed = parseSkillMarkdown(markdown('name: a\ndescription: b\nmetadata:\n  n: 1'));
    const frontmatter = parsed.skill?.frontmatter;
    if (frontmatter === undefined) throw new Error('expected a skill');
    const again = parseSkillMarkdown(composeSkillMarkdown(frontmatter, 'x'));
    expect(again.skill?.frontmatter.extra).toEqual({ metadata: { n: 1 } });
    const text = composeSkillMarkdown(
      { name: 'a', description: 'b', extra: { name: 'evil' } },
      'x',
    );
    expect(parseSkillMarkdown(text).skill?.frontmatter).toEqual({
      name: 'a',
      description: 'b',
      extra: {},
    });
  });

  it('folds \\r\\n and trims the body', () => {
    const text = composeSkillMarkdown({ name: 'a', description: 'b' }, '\n\n# T\r\nline  \n\n');
    expect(text.endsWith('---\n\n# T\nline\n')).toBe(true);
  });
});
