import { describe, expect, it } from 'vitest';
import { BuiltinEmbedder } from './builtin-embedder.js';

function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}

describe('BuiltinEmbedder', () => {
  const embedder = new BuiltinEmbedder();

  it('returns unit vectors of the declared dimension', async () => {
    const [vector] = await embedder.doEmbed(['The user prefers dark mode']);
    expect(vector).toHaveLength(256);
    expect(cosine(vector!, vector!)).toBeCloseTo(1, 5);
  });

  it('is deterministic', async () => {
    const [a] = await embedder.doEmbed(['same text']);
    const [b] = await embedder.doEmbed(['same text']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('scores related texts above unrelated ones, in English and Chinese', async () => {
    const [query, related, unrelated] = await embedder.doEmbed([
      'preferred programming languages',
      'The user prefers the TypeScript programming language',
      'Lunch was a bowl of noodles',
    ]);
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!));
    const [zhQuery, zhRelated, zhUnrelated] = await embedder.doEmbed([
      '回答风格',
      '用户希望回答风格更加正式',
      '今天天气很好',
    ]);
    expect(cosine(zhQuery!, zhRelated!)).toBeGreaterThan(cosine(zhQuery!, zhUnrelated!));
  });

  it('returns a zero vector for empty text instead of NaN', async () => {
    const [vector] = await embedder.doEmbed(['']);
    expect(Array.from(vector!).every((value) => value === 0)).toBe(true);
  });

  it('encodes its dimension in its identity', () => {
    expect(new BuiltinEmbedder({ dimensions: 64 }).id).toBe('builtin:hash-ngram-v2:64');
  });
});

describe('BuiltinEmbedder near-duplicate safety', () => {
  const embedder = new BuiltinEmbedder();
  const near = 0.92;

  it.each([
    ['The user likes coffee', 'The user does not like coffee'],
    ['用户喜欢咖啡', '用户不喜欢咖啡'],
    ['Doctor appointment one', 'Doctor appointment two'],
  ])('keeps %s and %s below the near-duplicate threshold', async (a, b) => {
    const [left, right] = await embedder.doEmbed([a, b]);
    expect(cosine(left!, right!)).toBeLessThan(near);
  });
});
