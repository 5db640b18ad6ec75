import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { Mnemos } from '../../mnemos.js';

const alice = { appId: 'app', tenantId: 'alice' };
let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home, config: { ingest: { max_unit_characters: 60 } } });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

it('shows one piece of a long text, so the top k holds k distinct texts', async () => {
  const long = Array.from(
    { length: 4 },
    (_, index) => `Kayak trip number ${index} went down the river past the old mill.`,
  ).join(' ');
  const job = await mnemos.memories.add({ scope: alice, text: long, sync: true });
  expect(job.memoryIds.length).toBeGreaterThan(2);
  const other = await mnemos.memories.add({
    scope: alice,
    text: 'Bought a new kayak paddle',
    sync: true,
  });
  const { results } = await mnemos.memories.search({
    scope: alice,
    query: 'kayak river mill',
    topK: 2,
  });
  const ids = results.map((result) => result.memory.id);
  expect(ids).toHaveLength(2);
  expect(ids).toContain(other.memoryIds[0]);
  expect(ids.filter((id) => job.memoryIds.includes(id))).toHaveLength(1);
  expect(
    results.find((result) => job.memoryIds.includes(result.memory.id))?.memory.source.part,
  ).toBeTypeOf('number');
});

it('keeps separate notes apart even when they say the same kind of thing', async () => {
  for (const text of ['Kayak on Monday', 'Kayak on Tuesday', 'Kayak on Friday'])
    await mnemos.memories.add({ scope: alice, text, sync: true });
  const { results } = await mnemos.memories.search({ scope: alice, query: 'kayak', topK: 3 });
  expect(results).toHaveLength(3);
});
