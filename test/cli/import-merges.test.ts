import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor, type ListJson, makeHome, removeHomes } from '../support/cli.js';

afterAll(removeHomes);

const names = ['Theo', 'Ravi', 'Mia', 'Noah', 'Lena', 'Omar', 'Yuki', 'Ana', 'Ivan', 'Zoe'];
const more = ['Kai', 'Lea', 'Finn', 'Sara', 'Jon', 'Ines', 'Amir', 'Nora', 'Leo', 'Ada'];
const surnames = [
  'Mori',
  'Silva',
  'Novak',
  'Chen',
  'Okafor',
  'Berg',
  'Rossi',
  'Kaur',
  'Dubois',
  'Sato',
];
const things = [
  'pollen',
  'peanuts',
  'cats',
  'dust',
  'penicillin',
  'shellfish',
  'latex',
  'bees',
  'milk',
  'mould',
];

/** 4,000 distinct notes that differ only in names, numbers and dates. */
function templatedNotes(): string[] {
  const notes: string[] = [];
  for (const name of [...names, ...more])
    for (const surname of surnames)
      for (const thing of things) notes.push(`${name} ${surname} is allergic to ${thing}`);
  for (let index = 0; index < 2_000; index++) {
    const name = [...names, ...more][index % 20]!;
    const day = new Date(Date.UTC(2024, 0, 1 + (index % 365))).toISOString().slice(0, 10);
    notes.push(`${name} paid ${10 + Math.floor(index / 20)} dollars on ${day}`);
  }
  return notes;
}

function jsonl(lines: unknown[]): string {
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

interface ImportJson {
  lines: number;
  memoriesAdded: number;
  mergedLines: number;
  merged: Array<{ line: number; into: string; text: string }>;
}

describe('mem import never merges distinct notes', () => {
  it('imports 4,000 templated notes as 4,000 memories with the default offline config', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const notes = templatedNotes();
    expect(new Set(notes).size).toBe(4_000);
    const file = join(home, 'notes.jsonl');
    writeFileSync(file, jsonl(notes.map((text) => ({ text }))));
    const result = await cli(['mem', 'import', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json<ImportJson>()).toMatchObject({
      lines: 4_000,
      memoriesAdded: 4_000,
      mergedLines: 0,
      merged: [],
    });
    expect((await cli(['mem', 'list', '--json', '--limit', '1'])).json<ListJson>().total).toBe(
      4_000,
    );
  }, 120_000);
});

describe('mem import reports what it merged', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const file = join(home, 'repeats.jsonl');
  writeFileSync(
    file,
    jsonl([
      { text: 'The user likes tea.' },
      { text: 'Theo Mori is allergic to pollen' },
      { text: 'the user likes tea' },
      { text: 'Ravi Mori is allergic to pollen' },
      { text: 'THE USER LIKES TEA!', scope: { runId: 'another-session' } },
    ]),
  );

  it('counts the merged lines and names the memory each went into', async () => {
    const result = await cli(['mem', 'import', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = result.json<ImportJson>();
    expect(summary).toMatchObject({ lines: 5, memoriesAdded: 3, mergedLines: 2 });
    expect(summary.merged.map((item) => [item.line, item.text])).toEqual([
      [3, 'The user likes tea.'],
      [5, 'The user likes tea.'],
    ]);
    const tea = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(tea.total).toBe(3);
    expect(new Set(summary.merged.map((item) => item.into)).size).toBe(1);
  });

  it('says so in the text summary too', async () => {
    const again = await cli(['mem', 'import', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new memories, 5 lines merged into existing ones');
    expect(again.stdout).toContain('line 2 merged into');
    expect(again.stdout).toContain(': Theo Mori is allergic to pollen');
  });

  it('shows full old and new texts in history', async () => {
    const long = 'The user keeps the spare house keys in the blue box on the second shelf';
    const added = (await cli(['mem', 'add', '--sync', '--json', long])).json<{
      memoryIds: string[];
    }>();
    const id = added.memoryIds[0]!;
    const changed = `${long} of the hallway cupboard`;
    expect((await cli(['mem', 'update', id, changed])).code).toBe(0);
    const history = await cli(['mem', 'history', id]);
    expect(history.code, history.stderr).toBe(0);
    const flat = history.stdout.replace(/[│|\s]+/gu, ' ');
    expect(flat).toContain('hallway cupboard');
    expect(flat).toContain('second shelf');
    expect(flat).not.toContain('…');
  });
});
