/**
 * `npm run bench:redaction`: what secret redaction costs on the ingest path. Times the redactor
 * alone per text, then `addMany` + `drain()` of the same synthetic corpus with redaction on and off
 * in the same run (alternating rounds, fresh homes), and prints both throughputs.
 *
 * Environment: BENCH_QUICK=1 (smaller corpus).
 */
import { Mnemos } from '../src/index.js';
import { Redactor } from '../src/redaction/redactor.js';
import { addInputs, syntheticMemories } from './corpus.js';
import { benchTenant } from './engine.js';
import { log, nowMs, perSecond, summarise } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

const quick = process.env.BENCH_QUICK === '1';
const requests = quick ? 1_000 : 5_000;
const rounds = quick ? 1 : 2;
const corpus = syntheticMemories(requests, 21);
// One text in ten carries a secret, so the replacing path is timed too.
const texts = corpus.map((memory, index) =>
  index % 10 === 0 ? `${memory.text} password=hunter2-${index}` : memory.text,
);

function redactorAlone(): {
  perTextUs: number;
  p99Us: number;
  batchUs: number;
  secretsFound: number;
} {
  const redactor = new Redactor();
  for (const text of texts.slice(0, 200)) redactor.redact(text);
  const samples: number[] = [];
  let found = 0;
  for (const text of texts) {
    const start = nowMs();
    found += redactor.redact(text).count;
    samples.push((nowMs() - start) * 1000);
  }
  const latency = summarise(samples);
  const start = nowMs();
  for (let offset = 0; offset < texts.length; offset += 1_000)
    redactor.redactMany(texts.slice(offset, offset + 1_000));
  const batchUs = ((nowMs() - start) * 1000) / texts.length;
  return { perTextUs: latency.mean, p99Us: latency.p99, batchUs, secretsFound: found };
}

async function ingest(enabled: boolean): Promise<number> {
  const home = tempHome(`redaction-${enabled ? 'on' : 'off'}`);
  const mnemos = await Mnemos.open({
    home,
    config: {
      app_id: benchTenant.appId,
      tenant_id: benchTenant.tenantId,
      redaction: { enabled },
    },
  });
  try {
    const inputs = addInputs(corpus, benchTenant).map((input, index) => ({
      ...input,
      text: texts[index]!,
    }));
    const start = nowMs();
    for (let offset = 0; offset < inputs.length; offset += 1_000)
      await mnemos.memories.addMany(inputs.slice(offset, offset + 1_000));
    await mnemos.drain();
    return perSecond(inputs.length, nowMs() - start);
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }
}

log(`redaction: the redactor alone over ${texts.length} texts`);
const alone = redactorAlone();
const on: number[] = [];
const off: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  log(`redaction: round ${round + 1} of ${rounds}, addMany of ${requests} + drain(), off then on`);
  off.push(await ingest(false));
  on.push(await ingest(true));
}
const best = (values: number[]): number => Math.max(...values);
console.log(
  JSON.stringify(
    {
      texts: texts.length,
      redactorMeanUsPerText: Number(alone.perTextUs.toFixed(1)),
      redactorP99UsPerText: Number(alone.p99Us.toFixed(1)),
      redactorUsPerTextInBatchesOf1000: Number(alone.batchUs.toFixed(1)),
      secretsFound: alone.secretsFound,
      ingestPerSecondRedactionOff: Math.round(best(off)),
      ingestPerSecondRedactionOn: Math.round(best(on)),
      onOverOff: Number((best(on) / best(off)).toFixed(3)),
      rounds: { off: off.map(Math.round), on: on.map(Math.round) },
    },
    null,
    2,
  ),
);
