import { describe, expect, it } from 'vitest';
import { PassthroughExtractor } from './passthrough-extractor.js';
import { splitText } from './text-splitter.js';

describe('PassthroughExtractor', () => {
  it('keeps user and assistant messages with speaker and date, skipping system and tool', async () => {
    const units = await new PassthroughExtractor().doExtract([
      { role: 'system', content: 'You are helpful' },
      {
        role: 'user',
        content: 'I live in Hangzhou',
        name: 'Li',
        createdAt: '2026-01-02T03:04:05Z',
      },
      { role: 'tool', content: '{"ok":true}' },
      { role: 'assistant', content: 'Noted.' },
    ]);
    expect(units.map((unit) => unit.text)).toEqual(['I live in Hangzhou', 'Noted.']);
    expect(units[0]!.metadata).toEqual({
      role: 'user',
      speaker: 'Li',
      date: '2026-01-02T03:04:05Z',
    });
    expect(units[0]!.sourceMessages).toEqual([1]);
    expect(units[1]!.sourceMessages).toEqual([3]);
  });

  it('splits a long message into several units', async () => {
    const long = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} is here.`).join(
      ' ',
    );
    const units = await new PassthroughExtractor({ maxCharacters: 200 }).doExtract([
      { role: 'user', content: long },
    ]);
    expect(units.length).toBeGreaterThan(1);
    expect(units.every((unit) => unit.text.length <= 200)).toBe(true);
    expect(units.map((unit) => unit.text).join(' ')).toBe(long);
  });
});

describe('splitText', () => {
  it('splits Chinese at sentence ends', () => {
    const text = '我喜欢喝咖啡。我每天早上跑步。我住在杭州。'.repeat(10);
    const chunks = splitText(text, 50);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.length <= 50 && chunk.endsWith('。'))).toBe(true);
    expect(chunks.join('')).toBe(text);
  });

  it('hard-splits a sentence with no boundary', () => {
    const chunks = splitText('x'.repeat(250), 100);
    expect(chunks.map((chunk) => chunk.length)).toEqual([100, 100, 50]);
  });

  it('returns nothing for blank text', () => {
    expect(splitText('   ', 100)).toEqual([]);
  });
});
