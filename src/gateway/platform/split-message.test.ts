import { describe, expect, it } from 'vitest';
import { splitMessage } from './split-message.js';

describe('splitMessage', () => {
  it('keeps short text whole', () => {
    expect(splitMessage('hello there', 100)).toEqual(['hello there']);
  });

  it('cuts at paragraph boundaries within the limit and loses no words', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} has some words in it.`).join(
      '\n\n',
    );
    const pieces = splitMessage(text, 200);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(200);
    expect(pieces.join(' ').split(/\s+/u).filter(Boolean)).toEqual(text.split(/\s+/u));
  });

  it('closes and reopens a fenced code block cut in two', () => {
    const code = Array.from({ length: 40 }, (_, i) => `const x${i} = ${i};`).join('\n');
    const pieces = splitMessage(`Here:\n\`\`\`ts\n${code}\n\`\`\``, 300);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(300);
      expect((piece.match(/^```/gmu) ?? []).length % 2).toBe(0);
    }
    expect(pieces[1]?.startsWith('```ts\n')).toBe(true);
  });

  it('never splits a surrogate pair in text without spaces', () => {
    const text = '😀'.repeat(100);
    const pieces = splitMessage(text, 51);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(51);
  });

  it('splits CJK text at sentence ends', () => {
    const text = '我喜欢喝茶。'.repeat(50);
    const pieces = splitMessage(text, 40);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece.endsWith('。')).toBe(true);
  });
});
