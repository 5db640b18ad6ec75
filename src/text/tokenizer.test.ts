import { describe, expect, it } from 'vitest';
import { indexTokens, isCjk, queryTokens, tokenize } from './tokenizer.js';

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
    expect(queryTokens('what is this')).toEqual(['what', 'is', 'this']);
  });
});
