import { afterAll, describe, expect, it } from 'vitest';
import { addSync, cliFor, makeHome, removeHomes, type SearchJson } from '../support/cli.js';

afterAll(removeHomes);

/** Texts of `mem search` results, best first. */
async function searchTexts(home: string, query: string): Promise<string[]> {
  const result = await cliFor(home)(['mem', 'search', query, '--json']);
  expect(result.code).toBe(0);
  return result.json<SearchJson>().results.map((item) => item.memory.text);
}

describe('Chinese queries written differently from the memory', () => {
  it('喝茶 finds 用户喜欢喝龙井茶 (the index holds 喝 and 茶 apart)', async () => {
    const home = makeHome();
    await addSync(home, '用户喜欢喝龙井茶');
    await addSync(home, 'The office coffee machine is broken again');
    expect((await searchTexts(home, '喝茶'))[0]).toBe('用户喜欢喝龙井茶');
  }, 60_000);

  it('回答风格 finds 用户偏好简洁的中文回复 offline', async () => {
    const home = makeHome();
    await addSync(home, '用户偏好简洁的中文回复');
    await addSync(home, 'My favourite programming language is Rust');
    expect((await searchTexts(home, '回答风格'))[0]).toBe('用户偏好简洁的中文回复');
  }, 60_000);
});
