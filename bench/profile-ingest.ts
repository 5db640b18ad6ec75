/**
 * Bulk ingest of PROFILE_SIZE (default 100,000) synthetic memories into one tenant of a fresh home,
 * printing the rate of every tenth; for CPU profiling: `node --cpu-prof --import tsx bench/profile-ingest.ts`.
 */
import { addInputs, syntheticMemories } from './corpus.js';
import { benchTenant, openEngine, storedCount } from './engine.js';
import { cpuMs } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

const size = Number(process.env.PROFILE_SIZE ?? 100_000);
const inputs = addInputs(syntheticMemories(size, 11), benchTenant);
const home = tempHome('profile-ingest');
const mnemos = await openEngine(home);
const step = Math.max(2_000, Math.floor(size / 10));
const start = performance.now();
const cpuStart = cpuMs();
let segmentStart = start;
for (let offset = 0; offset < inputs.length; offset += 2_000) {
  await mnemos.memories.addMany(inputs.slice(offset, offset + 2_000));
  await mnemos.drain();
  const done = Math.min(offset + 2_000, inputs.length);
  if (done % step === 0 || done === inputs.length) {
    const now = performance.now();
    console.log(
      `${done}: ${((step / (now - segmentStart)) * 1000).toFixed(0)}/s this tenth, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
    );
    segmentStart = now;
  }
}
const ms = performance.now() - start;
console.log(
  `ingested ${size} requests (${await storedCount(mnemos)} stored) in ${(ms / 1000).toFixed(1)} s: ${((size / ms) * 1000).toFixed(0)}/s, cpu ${((cpuMs() - cpuStart) / 1000).toFixed(1)} s, peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
await mnemos.close();
removeTempHome(home);
