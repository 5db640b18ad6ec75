// Child process for the crash test: enqueues conversation jobs in batches and prints "ACK <jobId>"
// only after each batch is durably enqueued, while the same process ingests in the background.
import { Mnemos } from '../../dist/index.js';

const [home, batches, perBatch] = process.argv.slice(2);
const syllables = [
  'ka',
  'lo',
  'mi',
  'ren',
  'to',
  'sha',
  'vel',
  'dor',
  'ni',
  'qua',
  'bex',
  'ru',
  'fen',
  'zo',
  'pil',
  'gar',
];
/** A sentence unique to (job, turn) that shares few words with its neighbours, so no near-duplicates arise. */
function sentence(job, turn) {
  let state = job * 7919 + turn * 104729 + 1;
  const pick = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return syllables[(state >>> 16) % syllables.length];
  };
  const word = () => `${pick()}${pick()}${pick()}`;
  return `${word()} ${word()} ${word()} ${word()} ${word()} ${word()} token${job}x${turn}`;
}
const mnemos = await Mnemos.open({ home, config: { ingest: { batch_size: 8 } } });
const scope = { appId: 'crash', tenantId: 't1', agentId: 'a1', runId: 'r1' };
let job = 0;
for (let batch = 0; batch < Number(batches); batch++) {
  const requests = [];
  for (let index = 0; index < Number(perBatch); index++, job++) {
    const messages = Array.from({ length: 20 }, (_, turn) => ({
      role: turn % 2 === 0 ? 'user' : 'assistant',
      content: sentence(job, turn),
    }));
    requests.push({ scope, messages });
  }
  const jobs = await mnemos.memories.addMany(requests);
  process.stdout.write(jobs.map((entry) => `ACK ${entry.id}\n`).join(''));
}
await mnemos.close({ drain: true });
process.stdout.write('DONE\n');
