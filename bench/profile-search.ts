/** Loads the synthetic corpus into a kept home (PROFILE_HOME) once, then times search stages; for CPU profiling. */
import { existsSync } from 'node:fs';
import { coversTenant } from '../src/spec/covers-tenant.js';
import { queryTokens } from '../src/text/tokenizer.js';
import { addInputs, syntheticMemories, syntheticQueries } from './corpus.js';
import { benchTenant, loadInBatches, openEngine, wholeTenant } from './engine.js';

const home = process.env.PROFILE_HOME ?? '/tmp/mnemos-profile-search';
const size = Number(process.env.PROFILE_SIZE ?? 100_000);
const memories = syntheticMemories(size, 1);
const fresh = !existsSync(`${home}/mnemos.db`);
const mnemos = await openEngine(home);
if (fresh) await loadInBatches(mnemos, addInputs(memories, benchTenant), 2_000);
const queries = syntheticQueries(memories, 200, 7);
const store = await mnemos.stores.get('mnemos');
const timings = { fts: 0, search: 0 };
for (const query of queries.slice(0, 10))
  await mnemos.memories.search({ scope: benchTenant, query });
for (const query of queries) {
  let start = performance.now();
  await mnemos.storage.search.text(store.name, wholeTenant, queryTokens(query), { limit: 50 });
  timings.fts += performance.now() - start;
  start = performance.now();
  await mnemos.memories.search({ scope: benchTenant, query });
  timings.search += performance.now() - start;
}
console.log(
  `covers tenant: ${coversTenant(wholeTenant, {})}; per query: fts ${(timings.fts / queries.length).toFixed(2)} ms, whole search ${(timings.search / queries.length).toFixed(2)} ms`,
);
console.log('sample queries:', queries.slice(0, 5));
await mnemos.close();
