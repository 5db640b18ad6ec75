import { describe, expect, it } from 'vitest';
import { indexTokens, isCjk, queryTokens, terms, tokenize } from './tokenizer.js';

describe('tokenize', () => {
  it('segments Chinese into words', () => {
    expect(tokenize('用户希望回答风格更加正式')).toEqual(
      expect.arrayContaining(['回答', '风格', '正式']),
    );
  });

  it('splits mixed Chinese and English and lowercases', () => {
    const tokens = tokenize('我喜欢用TypeScript写代码');
    expect(tokens).toContain('typescript');
    expect(tokens).toContain('代码');
  });

  it('drops punctuation and whitespace', () => {
    expect(tokenize('Hello, world! 你好。')).toEqual(['hello', 'world', '你好']);
  });

  it('normalises full-width forms', () => {
    expect(tokenize('ＡＢＣ')).toEqual(['abc']);
  });
});

describe('indexTokens', () => {
  it('adds single CJK characters so one-character queries match', () => {
    expect(indexTokens('猫叫了')).toContain('猫');
  });

  it('does not split Latin words into characters', () => {
    expect(indexTokens('cat')).toEqual(['cat']);
  });
});

describe('isCjk', () => {
  it('detects Han, kana and hangul', () => {
    expect(isCjk('中')).toBe(true);
    expect(isCjk('カ')).toBe(true);
    expect(isCjk('한')).toBe(true);
    expect(isCjk('a')).toBe(false);
  });
});

describe('queryTokens', () => {
  it('drops function words in English and Chinese', () => {
    expect(queryTokens('What did I eat in Kyoto?')).toEqual(['eat', 'kyoto']);
    expect(queryTokens('我的猫叫什么')).not.toContain('的');
  });

  it('keeps a query made only of function words', () => {
    expect(queryTokens('what is this')).toEqual(['what', 'is', 'thi']);
  });

  it('adds the surface form of a stemmed word, which indexes written before stemming hold', () => {
    expect(queryTokens('painting')).toEqual(['paint', 'painting']);
    expect(queryTokens('paint')).toEqual(['paint']);
  });

  it('adds CJK characters and bigrams, so 喝茶 meets the 喝 and 茶 of 喝龙井茶', () => {
    expect(queryTokens('喝茶')).toEqual(expect.arrayContaining(['喝', '茶', '喝茶']));
    expect(indexTokens('用户喜欢喝龙井茶')).toEqual(expect.arrayContaining(['喝', '茶', '龙井']));
  });

  it('gives each term once, or round(2√n) times when the query repeats terms', () => {
    expect(queryTokens('kyoto trip')).toEqual(['kyoto', 'trip']);
    const tokens = queryTokens('kyoto kyoto kyoto kyoto trip');
    expect(tokens.filter((token) => token === 'kyoto')).toHaveLength(4);
    expect(tokens.filter((token) => token === 'trip')).toHaveLength(2);
  });
});

describe('terms', () => {
  it('stems English words the same on both sides', () => {
    expect(terms('painted sunrises')).toEqual(terms('paint sunrise'));
    expect(queryTokens('What did Caroline paint?')).toEqual(['carolin', 'paint', 'caroline']);
  });

  it('keeps digits and non-Latin words as they are', () => {
    expect(terms('2023 café')).toEqual(['2023', 'café']);
  });
});
