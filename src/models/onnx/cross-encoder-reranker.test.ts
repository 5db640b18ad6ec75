import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import type { RerankCandidate } from '../../spec/reranker.js';
import { OnnxCrossEncoderReranker } from './cross-encoder-reranker.js';

const modelDir = fileURLToPath(
  new URL('../../../test/fixtures/onnx/cross-encoder', import.meta.url),
);

function candidates(...texts: string[]): RerankCandidate[] {
  return texts.map((text, index) => ({ id: `m${index}`, text }));
}

/**
 * The fixture's score, computed without the code under test: its logit is 2 × overlap − 1, where
 * overlap is the dot product of the query's and the passage's word counts (texts of whole words).
 */
function expectedLogit(query: string, passage: string): number {
  const count = (text: string) => {
    const counts = new Map<string, number>();
    for (const word of text.toLowerCase().split(/\s+/))
      counts.set(word, (counts.get(word) ?? 0) + 1);
    return counts;
  };
  const passageCounts = count(passage);
  let overlap = 0;
  for (const [word, times] of count(query)) overlap += times * (passageCounts.get(word) ?? 0);
  return 2 * overlap - 1;
}

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

describe('OnnxCrossEncoderReranker', () => {
  const query = 'where does alice live';
  const passages = [
    'bob drinks green tea',
    'alice lives in paris',
    'alice and bob live in london',
    'the user works as an engineer',
  ];

  it('ranks the passage sharing the most words first, with scores in (0, 1)', async () => {
    const reranker = await OnnxCrossEncoderReranker.create({ model: modelDir });
    expect(reranker.id).toBe('cross-encoder:cross-encoder');
    expect(reranker.files.onnx.endsWith('model.onnx')).toBe(true);
    const scores = await reranker.doRerank(query, candidates(...passages));
    expect(scores).toHaveLength(4);
    for (const score of scores) {
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
    }
    expect(scores).toEqual(
      passages.map((passage) => expect.closeTo(sigmoid(expectedLogit(query, passage)), 6)),
    );
    const best = scores.indexOf(Math.max(...scores));
    expect(passages[best]).toBe('alice and bob live in london');
    expect(scores[1]!).toBeGreaterThan(scores[0]!);
  });

  it('scores each pair alone: batch size and padding do not change a score', async () => {
    const batched = await OnnxCrossEncoderReranker.create({ model: modelDir });
    const single = await OnnxCrossEncoderReranker.create({ model: modelDir, batchSize: 1 });
    const many = candidates(...passages, 'alice', 'alice alice lives where');
    const a = await batched.doRerank(query, many);
    const b = await single.doRerank(query, many);
    expect(a).toEqual(b.map((score) => expect.closeTo(score, 6)));
    expect(a[5]).toBeCloseTo(sigmoid(expectedLogit(query, 'alice alice lives where')), 6);
    expect(await batched.doRerank(query, [])).toEqual([]);
  });

  it('reads a two-class head as the softmax probability of its last column', async () => {
    const reranker = await OnnxCrossEncoderReranker.create({
      model: modelDir,
      file: 'model_two_logits.onnx',
    });
    const scores = await reranker.doRerank(query, candidates(...passages));
    // The fixture's two logits are [-s, s]: softmax gives sigmoid(2s).
    expect(scores).toEqual(
      passages.map((passage) => expect.closeTo(sigmoid(2 * expectedLogit(query, passage)), 6)),
    );
  });

  it('matches Chinese text character by character', async () => {
    const reranker = await OnnxCrossEncoderReranker.create({ model: modelDir });
    const [cat, dog] = await reranker.doRerank('猫', candidates('我喜欢猫', '我喜欢狗'));
    expect(cat).toBeCloseTo(sigmoid(1), 6);
    expect(dog).toBeCloseTo(sigmoid(-1), 6);
  });

  it('truncates long pairs to maxLength, trimming the longer passage', async () => {
    // 8 tokens = 3 special + 5 text: "alice" + the first 4 passage words, so the shared word is cut.
    const reranker = await OnnxCrossEncoderReranker.create({ model: modelDir, maxLength: 8 });
    const [score] = await reranker.doRerank('alice', candidates('bob drinks green tea with alice'));
    expect(score).toBeCloseTo(sigmoid(-1), 6);
  });

  it('a missing model is a config_error with a cross-encoder download hint', async () => {
    const error = await OnnxCrossEncoderReranker.create({ model: `${modelDir}-missing` }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(MnemosError.isInstance(error)).toBe(true);
    expect((error as MnemosError).code).toBe('config_error');
    expect((error as MnemosError).message).toContain('reranker.model');
    expect((error as MnemosError).message).toContain(
      'huggingface-cli download Xenova/ms-marco-MiniLM-L-6-v2',
    );
  });
});
