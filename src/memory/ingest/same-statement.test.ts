import { describe, expect, it } from 'vitest';
import { sameStatement } from './same-statement.js';

describe('sameStatement', () => {
  it.each([
    ['The user likes tea.', 'the user likes tea'],
    ['“Hi,” she said!', 'hi she said'],
    ['用户喜欢喝龙井茶。', '用户喜欢喝龙井茶'],
    ['ＡＢＣ１２３', 'abc123'],
    ['Paid  5 dollars', 'paid 5 dollars.'],
  ])('merges %j and %j', (a, b) => {
    expect(sameStatement(a, b)).toBe(true);
  });

  it.each([
    ['Theo Mori is allergic to pollen', 'Ravi Mori is allergic to pollen'],
    ['用户喜欢喝龙井茶', '用户喜欢喝碧螺春'],
    ['我欠他钱', '他欠我钱'],
    ['Ravi paid Theo', 'Theo paid Ravi'],
    ['The temperature was -5 degrees', 'The temperature was 5 degrees'],
    ['Paid $5', 'Paid 5'],
    ['Due on 2024-05-01', 'Due on 2024/05/01'],
    ['Paid 40 dollars', 'Paid 41 dollars'],
    ['The user likes tea', 'The user likes green tea'],
  ])('keeps %j and %j apart', (a, b) => {
    expect(sameStatement(a, b)).toBe(false);
  });
});
