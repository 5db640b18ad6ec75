import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { resolveModelFiles } from './model-files.js';
import { ModelTokenizer } from './model-tokenizer.js';
import { loadOnnxRuntime } from './runtime.js';

const modelDir = fileURLToPath(new URL('../../../test/fixtures/onnx/embedder', import.meta.url));
const files = resolveModelFiles(modelDir);
const vocab = (
  JSON.parse(readFileSync(files.tokenizer, 'utf8')) as { model: { vocab: Record<string, number> } }
).model.vocab;

/** Ids straight from the vocabulary, independent of the tokenizer under test. */
function ids(...tokens: string[]): number[] {
  return tokens.map((token) => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`${token} is not in the fixture vocabulary`);
    return id;
  });
}

describe('ModelTokenizer', () => {
  it('adds [CLS] … [SEP], lowercases, splits Chinese characters and word pieces', () => {
    const tokenizer = ModelTokenizer.load(files, 64);
    expect(tokenizer.encode('Alice likes 猫 cats').ids).toEqual(
      ids('[CLS]', 'alice', 'likes', '猫', 'cat', '##s', '[SEP]'),
    );
    expect(tokenizer.encode('我喜欢茶').ids).toEqual(ids('[CLS]', '我', '喜', '欢', '茶', '[SEP]'));
  });

  it('truncates to maxLength and keeps the closing [SEP]', () => {
    const tokenizer = ModelTokenizer.load(files, 5);
    const encoded = tokenizer.encode('alice lives in paris every day');
    expect(encoded.ids).toEqual(ids('[CLS]', 'alice', 'lives', 'in', '[SEP]'));
    expect(encoded.typeIds).toEqual([0, 0, 0, 0, 0]);
  });

  it('encodes pairs with segment ids 0 then 1, trimming the longer side first', () => {
    const full = ModelTokenizer.load(files, 64).encodePair('where is bob', 'bob lives in tokyo');
    expect(full.ids).toEqual(
      ids('[CLS]', 'where', 'is', 'bob', '[SEP]', 'bob', 'lives', 'in', 'tokyo', '[SEP]'),
    );
    expect(full.typeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

    // 8 = 3 special + 5 text: the longer side loses a token at a time, the passage on ties
    // (transformers' longest_first), so 3 + 4 becomes 3 + 2.
    const cut = ModelTokenizer.load(files, 8).encodePair('where is bob', 'bob lives in tokyo');
    expect(cut.ids).toEqual(ids('[CLS]', 'where', 'is', 'bob', '[SEP]', 'bob', 'lives', '[SEP]'));
    const longQuery = ModelTokenizer.load(files, 7).encodePair('where does alice live', 'bob');
    expect(longQuery.ids).toEqual(ids('[CLS]', 'where', 'does', 'alice', '[SEP]', 'bob', '[SEP]'));
  });

  it('caps maxLength at the tokenizer config model_max_length', () => {
    expect(ModelTokenizer.load(files, 4096).maxLength).toBe(512);
  });

  it('pads a batch with [PAD] and a zero mask, feeding only the inputs the model declares', async () => {
    const ort = await loadOnnxRuntime();
    const tokenizer = ModelTokenizer.load(files, 64);
    const rows = [tokenizer.encode('alice'), tokenizer.encode('bob drinks tea')];
    const all = tokenizer.batch(ort, rows, ['input_ids', 'attention_mask', 'token_type_ids']);
    expect(all.width).toBe(5);
    expect(all.lengths).toEqual([3, 5]);
    expect(Array.from(all.feeds.input_ids!.data as BigInt64Array, Number)).toEqual([
      ...ids('[CLS]', 'alice', '[SEP]', '[PAD]', '[PAD]'),
      ...ids('[CLS]', 'bob', 'drinks', 'tea', '[SEP]'),
    ]);
    expect(Array.from(all.feeds.attention_mask!.data as BigInt64Array, Number)).toEqual([
      1, 1, 1, 0, 0, 1, 1, 1, 1, 1,
    ]);
    expect(all.feeds.input_ids!.dims).toEqual([2, 5]);
    expect(all.feeds.token_type_ids!.type).toBe('int64');

    const two = tokenizer.batch(ort, rows, ['input_ids', 'attention_mask']);
    expect(Object.keys(two.feeds).sort()).toEqual(['attention_mask', 'input_ids']);
  });

  it('refuses a model that needs inputs it cannot provide', async () => {
    const ort = await loadOnnxRuntime();
    const tokenizer = ModelTokenizer.load(files, 64);
    let caught: unknown;
    try {
      tokenizer.batch(ort, [tokenizer.encode('alice')], ['input_ids', 'pixel_values']);
    } catch (error) {
      caught = error;
    }
    expect(MnemosError.isInstance(caught)).toBe(true);
    expect((caught as MnemosError).message).toContain('pixel_values');
  });
});
