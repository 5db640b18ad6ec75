import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSync,
  cliFor,
  type ListJson,
  type MemoryJson,
  makeHome,
  removeHomes,
  type SearchJson,
} from '../support/cli.js';

afterAll(removeHomes);

const topics = [
  'I was born in Hangzhou near the West Lake',
  'My sister studies marine biology in Qingdao',
  'The dentist appointment moved to next Thursday',
  'Our team standup starts at nine thirty sharp',
  'I am allergic to peanuts and shellfish',
  'The blue umbrella is in the hallway closet',
  'We adopted a golden retriever called Biscuit',
  'My laptop runs Arch Linux with the Sway compositor',
  'The garden needs watering twice a week in summer',
  'I collect vintage fountain pens from the fifties',
  'Grandmother makes dumplings every Spring Festival',
  'The car insurance renewal is due in October',
  'I prefer aisle seats on long flights',
  'Our wifi password changes every quarter',
  'The piano tuner visits in early December',
  'I run a half marathon each April in Shanghai',
  'The bakery on Elm Street sells sourdough on weekends',
  'My manager Wei approves vacation requests',
  'I am learning to play the erhu on Sundays',
  'The quarterly tax filing uses the green folder',
  'Our apartment lease ends in late August',
  'I drink oolong tea instead of coffee after lunch',
  'The xylophone lessons for my son are on Wednesdays',
  'My bicycle has a flat rear tyre that needs patching',
  'The family reunion will be held in Guilin this year',
];

function jsonl(lines: unknown[]): string {
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

function memorySet(memories: MemoryJson[]): string[] {
  return memories
    .map((memory) =>
      JSON.stringify([
        memory.text,
        memory.kind,
        memory.metadata,
        memory.scope.agentId,
        memory.scope.runId,
      ]),
    )
    .sort();
}

describe('mem import and export', () => {
  const homeA = makeHome();
  const homeB = makeHome();
  const cliA = cliFor(homeA);
  const cliB = cliFor(homeB);
  const file = join(makeHome(), 'import.jsonl');
  let exported = '';

  beforeAll(() => {
    const messages = topics.map((content, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content,
    }));
    writeFileSync(
      file,
      jsonl([
        { messages, scope: { agentId: 'importer', runId: 'chat1' } },
        { text: '项目预算评审定在每个月的最后一个周五', metadata: { source: 'notes' } },
      ]),
    );
  });

  it('splits a 25-message conversation into 2 jobs and imports the text line', async () => {
    const result = await cliA(['mem', 'import', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      lines: 2,
      jobs: 3,
      failedJobs: 0,
      skippedDeleted: 0,
      memoriesAdded: topics.length + 1,
      mergedLines: 0,
      merged: [],
      redacted: 0,
    });
  });

  it('makes the imported content searchable, from both halves of the conversation', async () => {
    const first = (
      await cliA(['mem', 'search', 'peanuts', 'allergic', '--json'])
    ).json<SearchJson>();
    expect(first.results[0]?.memory).toMatchObject({
      text: 'I am allergic to peanuts and shellfish',
      scope: { agentId: 'importer', runId: 'chat1' },
      metadata: { role: 'user' },
    });
    const second = (await cliA(['mem', 'search', 'xylophone', '--json'])).json<SearchJson>();
    expect(second.results[0]?.memory.text).toBe(
      'The xylophone lessons for my son are on Wednesdays',
    );
    const note = (await cliA(['mem', 'search', '预算评审', '--json'])).json<SearchJson>();
    expect(note.results[0]?.memory).toMatchObject({
      text: '项目预算评审定在每个月的最后一个周五',
      metadata: { source: 'notes' },
    });
  });

  it('exports every memory as JSONL on stdout', async () => {
    const result = await cliA(['mem', 'export']);
    expect(result.code, result.stderr).toBe(0);
    exported = result.stdout;
    const lines = exported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MemoryJson);
    const listed = (await cliA(['mem', 'list', '--limit', '1000', '--json'])).json<ListJson>();
    expect(lines).toHaveLength(listed.total);
    expect(lines.map((line) => line.text).sort()).toEqual(
      listed.memories.map((memory) => memory.text).sort(),
    );
    expect(lines.map((line) => line.text)).toContain(
      'The family reunion will be held in Guilin this year',
    );
  });

  it('--out writes the same lines to a file', async () => {
    const out = `${file}.out`;
    const result = await cliA(['mem', 'export', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const count = exported.trim().split('\n').length;
    expect(result.stderr).toContain(`exported ${count} memories`);
    expect(readFileSync(out, 'utf8')).toBe(exported);
  });

  it('round-trips: importing the export (from stdin) into another home gives the same memories', async () => {
    const result = await cliB(['mem', 'import', '-', '--json'], { input: exported });
    expect(result.code, result.stderr).toBe(0);
    const memoriesA = (await cliA(['mem', 'list', '--limit', '1000', '--json'])).json<ListJson>();
    const memoriesB = (await cliB(['mem', 'list', '--limit', '1000', '--json'])).json<ListJson>();
    expect(memoriesB.total).toBe(memoriesA.total);
    expect(memorySet(memoriesB.memories)).toEqual(memorySet(memoriesA.memories));
    const found = (await cliB(['mem', 'search', 'xylophone', '--json'])).json<SearchJson>();
    expect(found.results[0]?.memory.text).toBe(
      'The xylophone lessons for my son are on Wednesdays',
    );
  });
});

describe('mem export then import keeps tenants and forgotten memories', () => {
  const homeA = makeHome();
  const homeB = makeHome();
  const cliA = cliFor(homeA);
  const cliB = cliFor(homeB);

  it('imports each line into its own tenant unless --tenant pins one, and skips deleted lines', async () => {
    await addSync(homeA, 'Tenant alpha likes oolong tea', ['--tenant', 'alpha']);
    const gone = (
      await cliA([
        'mem',
        'add',
        '--sync',
        '--tenant',
        'alpha',
        '--json',
        'Tenant alpha forgot this',
      ])
    ).json<{ memoryIds: string[] }>();
    expect((await cliA(['mem', 'forget', '--tenant', 'alpha', gone.memoryIds[0]!])).code).toBe(0);
    const exported = (await cliA(['mem', 'export', '--tenant', 'alpha', '--include-deleted']))
      .stdout;
    expect(exported.trim().split('\n')).toHaveLength(2);

    const result = await cliB(['mem', 'import', '-', '--json'], { input: exported });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ lines: 1, jobs: 1, skippedDeleted: 1 });
    const alpha = (await cliB(['mem', 'list', '--tenant', 'alpha', '--json'])).json<ListJson>();
    expect(alpha.memories.map((memory) => memory.text)).toEqual(['Tenant alpha likes oolong tea']);
    expect((await cliB(['mem', 'list', '--json'])).json<ListJson>().total).toBe(0);

    const pinned = await cliB(['mem', 'import', '-', '--tenant', 'beta', '--json'], {
      input: exported,
    });
    expect(pinned.code, pinned.stderr).toBe(0);
    const beta = (await cliB(['mem', 'list', '--tenant', 'beta', '--json'])).json<ListJson>();
    expect(beta.memories.map((memory) => memory.text)).toEqual(['Tenant alpha likes oolong tea']);
  });
});

describe('mem import rejects a file with one bad line and imports nothing', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const file = join(home, 'bad.jsonl');

  const good = [
    { text: 'A perfectly fine first line' },
    { messages: [{ role: 'user', content: 'A fine conversation' }] },
  ];
  const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));
  const cases: Array<{ name: string; content: string; line: number; message: RegExp }> = [
    {
      name: 'bad JSON',
      content: `${jsonl(good)}{"text": oops}\n`,
      line: 3,
      message: /not valid JSON/,
    },
    {
      name: 'a line with 17 metadata keys',
      content: jsonl([...good, { text: 'too much', metadata }]),
      line: 3,
      message: /metadata/,
    },
    {
      name: 'a line that is not an object',
      content: jsonl([good[0], [1, 2]]),
      line: 2,
      message: /JSON object/,
    },
    {
      name: 'a line with neither text nor messages',
      content: jsonl([good[0], {}, good[1]]),
      line: 2,
      message: /messages.*text|text.*messages/,
    },
    {
      name: 'a conversation line with more than 32,000 characters',
      content: jsonl([
        good[0],
        good[1],
        good[0],
        { messages: [{ role: 'user', content: 'c'.repeat(32_001) }] },
      ]),
      line: 4,
      message: /32000/,
    },
  ];

  it.each(cases)('$name', async ({ content, line, message }) => {
    writeFileSync(file, content);
    const result = await cli(['mem', 'import', file]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${file}:${line}:`);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('nothing was imported');
  });

  it('left the home without memories or jobs', async () => {
    const listed = (await cli(['mem', 'list', '--include-deleted', '--json'])).json<ListJson>();
    expect(listed.total).toBe(0);
    expect((await cli(['mem', 'jobs', 'list', '--json'])).json<{ count: number }>().count).toBe(0);
  });

  it('names a missing file', async () => {
    const result = await cli(['mem', 'import', join(home, 'missing.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing.jsonl');
  });
});
