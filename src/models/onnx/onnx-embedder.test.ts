import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';

const modelDir = fileURLToPath(new URL('../../../test/fixtures/onnx/embedder', import.meta.url));
const vocab = (
  JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  }
).model.vocab;
const weights = JSON.parse(readFileSync(join(modelDir, 'weights.json'), 'utf8')) as {
  word: number[][];
  types: number[][];
};

/**
 * The fixture's vector for a text of whole vocabulary words, computed without the code under test:
 * token rows are `word[id] + types[0]` (just `word[id]` for the pooled variant), averaged, normalised.
 */
function expected(text: string, options: { pooled?: boolean; normalize?: boolean } = {}): number[] {
  const tokens = ['[CLS]', ...text.toLowerCase().split(/\s+/), '[SEP]'];
  const rows = tokens.map((token) => {
    const word = weights.word[vocab[token]!]!;
    return options.pooled ? word : word.map((value, index) => value + weights.types[0]![index]!);
  });
  const mean = rows[0]!.map(
    (_, index) => rows.reduce((sum, row) => sum + row[index]!, 0) / rows.length,
  );
  if (options.normalize === false) return mean;
  const norm = Math.hypot(...mean);
  return mean.map((value) => value / norm);
}

function create(options: Partial<OnnxEmbedderOptions> = {}): Promise<OnnxEmbedder> {
  return OnnxEmbedder.create({ model: modelDir, ...options });
}

function expectClose(actual: ArrayLike<number>, wanted: readonly number[]): void {
  expect(Array.from(actual)).toEqual(wanted.map((value) => expect.closeTo(value, 5)));
}

function norm(vector: Float32Array): number {
  return Math.hypot(...vector);
}

describe('OnnxEmbedder', () => {
  it('detects the dimension from the model and returns unit vectors', async () => {
    const embedder = await create();
    expect(embedder.dimensions).toBe(8);
    expect(embedder.id).toBe('onnx:embedder:mean');
    const vectors = await embedder.doEmbed(['alice lives in paris', '我喜欢猫', 'zzz unknown']);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(8);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
  });

  it('mean-pools exactly the token rows of the embedding table', async () => {
    const embedder = await create();
    const [vector] = await embedder.doEmbed(['Alice lives in Paris']);
    expectClose(vector!, expected('alice lives in paris'));
  });

  it('ignores padding: a short text batched with a long one equals the text alone', async () => {
    const embedder = await create();
    const [alone] = await embedder.doEmbed(['bob']);
    const [padded, long] = await embedder.doEmbed([
      'bob',
      'alice drinks green tea every morning in tokyo with bob',
    ]);
    // The fixture's [PAD] row is 5.0 everywhere, so counting pads would move the vector a lot.
    expectClose(padded!, Array.from(alone!));
    expectClose(padded!, expected('bob'));
    expectClose(long!, expected('alice drinks green tea every morning in tokyo with bob'));
  });

  it('keeps input order across sorted, size-limited batches', async () => {
    const embedder = await create({ batchSize: 2 });
    const texts = ['alice lives in paris', 'bob', 'green tea', 'she plays piano every day', 'cat'];
    const vectors = await embedder.doEmbed(texts);
    for (const [index, text] of texts.entries()) expectClose(vectors[index]!, expected(text));
    expect(await embedder.doEmbed([])).toEqual([]);
  });

  it('CLS pooling takes the first token, unlike mean pooling', async () => {
    const cls = await create({ pooling: 'cls' });
    const mean = await create();
    expect(cls.id).toBe('onnx:embedder:cls');
    const [a, b] = await cls.doEmbed(['alice lives in paris', 'bob drinks coffee']);
    // The fixture's first position is [CLS] + segment 0 whatever follows.
    const first = weights.word[vocab['[CLS]']!]!.map(
      (value, index) => value + weights.types[0]![index]!,
    );
    const length = Math.hypot(...first);
    expectClose(
      a!,
      first.map((value) => value / length),
    );
    expectClose(b!, Array.from(a!));
    const [meanVector] = await mean.doEmbed(['alice lives in paris']);
    expect(Math.abs(meanVector![0]! - a![0]!)).toBeGreaterThan(1e-3);
  });

  it('normalize: false returns the raw pooled vector', async () => {
    const embedder = await create({ normalize: false });
    const [vector] = await embedder.doEmbed(['tea']);
    expectClose(vector!, expected('tea', { normalize: false }));
    expect(Math.abs(norm(vector!) - 1)).toBeGreaterThan(1e-3);
  });

  it('prepends the prefix and truncates to maxLength', async () => {
    const prefixed = await create({ prefix: 'user ' });
    expectClose((await prefixed.doEmbed(['alice']))[0]!, expected('user alice'));
    // 4 tokens: [CLS] alice lives [SEP].
    const short = await create({ maxLength: 4 });
    expectClose((await short.doEmbed(['alice lives in paris']))[0]!, expected('alice lives'));
  });

  it('uses a [batch, hidden] output directly and feeds token_type_ids only when declared', async () => {
    // model_pooled.onnx declares no token_type_ids input; onnxruntime rejects unknown feeds.
    const embedder = await create({ file: 'onnx/model_pooled.onnx' });
    expect(embedder.id).toBe('onnx:embedder@model_pooled:mean');
    expect(embedder.dimensions).toBe(8);
    const [short, long] = await embedder.doEmbed(['cat', 'the cat likes green tea']);
    expectClose(short!, expected('cat', { pooled: true }));
    expectClose(long!, expected('the cat likes green tea', { pooled: true }));
  });

  it('a missing model or a bad option is a config_error before any inference', async () => {
    for (const options of [
      { model: join(modelDir, 'missing') },
      { model: modelDir, pooling: 'max' as never },
      { model: modelDir, batchSize: 0 },
      { model: modelDir, output: 'pooler_output' },
    ]) {
      const error = await OnnxEmbedder.create(options).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(MnemosError.isInstance(error)).toBe(true);
      expect((error as MnemosError).code).toBe('config_error');
    }
  });
});
