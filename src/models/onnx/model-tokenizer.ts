import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { MnemosError } from '../../core/errors.js';
import type { ModelFiles } from './model-files.js';
import { int64Tensor, type OrtModule, type OrtTensor } from './runtime.js';

/** One tokenised input: ids, and the segment of each id (0 for the first text, 1 for the pair). */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
}

/** A padded batch ready for a BERT-style ONNX graph. */
export interface EncodedBatch {
  /** `[rows, width]` int64 tensors by input name. */
  feeds: Record<string, OrtTensor>;
  /** The unpadded length of each row, for mask-aware pooling. */
  lengths: number[];
  width: number;
}

/**
 * Wraps a Hugging Face `tokenizer.json` (tokenizers.js, pure JS) with what it lacks: truncation that
 * keeps the special tokens (`[CLS] … [SEP]`, `<s> … </s></s> … </s>`), pair truncation that trims the
 * longer text first, and padding into int64 tensors.
 */
export class ModelTokenizer {
  /** Longest input in tokens, special tokens included. */
  readonly maxLength: number;
  private readonly tokenizer: Tokenizer;
  private readonly padId: number;
  private readonly unkId: number;
  private readonly singleOverhead: number;
  private readonly pairOverhead: number;

  constructor(tokenizer: Tokenizer, tokenizerConfig: Record<string, unknown>, maxLength: number) {
    if (!Number.isInteger(maxLength) || maxLength < 4) {
      throw new MnemosError('config_error', `max length must be an integer ≥ 4, got ${maxLength}`);
    }
    const modelMax = tokenizerConfig.model_max_length;
    // Some exports carry a huge sentinel (1e30) here meaning "unset".
    const limit =
      typeof modelMax === 'number' && modelMax >= 4 && modelMax < 1e6 ? modelMax : Infinity;
    this.maxLength = Math.min(maxLength, limit);
    this.tokenizer = tokenizer;
    this.unkId = tokenizer.model?.unk_token_id ?? 0;
    // pad_token is a string, or an AddedToken object in older configs.
    const pad = tokenizerConfig.pad_token as string | { content?: string } | undefined;
    const padToken = typeof pad === 'string' ? pad : pad?.content;
    this.padId =
      [padToken, '[PAD]', '<pad>']
        .map((token) => (token ? tokenizer.token_to_id(token) : undefined))
        .find((id) => id !== undefined) ?? 0;
    this.singleOverhead = this.withSpecials([], null).ids.length;
    this.pairOverhead = this.withSpecials([], []).ids.length;
  }

  /** Loads `tokenizer.json` and `tokenizer_config.json` of a resolved model. */
  static load(files: ModelFiles, maxLength: number): ModelTokenizer {
    const tokenizerJson = readJson(files.tokenizer);
    const config = files.tokenizerConfig ? readJson(files.tokenizerConfig) : {};
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (error) {
      throw new MnemosError(
        'config_error',
        `cannot load the tokenizer ${files.tokenizer}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new ModelTokenizer(tokenizer, config, maxLength);
  }

  /** Encodes one text, truncated to `maxLength` tokens with its special tokens kept. */
  encode(text: string): EncodedText {
    const tokens = this.tokenizer.tokenize(text);
    return this.withSpecials(
      tokens.slice(0, Math.max(0, this.maxLength - this.singleOverhead)),
      null,
    );
  }

  /** Encodes a (query, passage) pair for a cross-encoder; the longer side is trimmed first. */
  encodePair(first: string, second: string): EncodedText {
    const a = this.tokenizer.tokenize(first);
    const b = this.tokenizer.tokenize(second);
    let excess = a.length + b.length + this.pairOverhead - this.maxLength;
    while (excess > 0 && (a.length > 0 || b.length > 0)) {
      if (a.length > b.length) a.pop();
      else b.pop();
      excess--;
    }
    return this.withSpecials(a, b);
  }

  /** Pads encoded rows to the longest one and builds the feeds the session declares. */
  batch(ort: OrtModule, rows: readonly EncodedText[], inputNames: readonly string[]): EncodedBatch {
    const width = Math.max(1, ...rows.map((row) => row.ids.length));
    const lengths = rows.map((row) => row.ids.length);
    const available: Record<string, () => OrtTensor> = {
      input_ids: () =>
        int64Tensor(
          ort,
          rows.map((row) => row.ids),
          width,
          this.padId,
        ),
      attention_mask: () =>
        int64Tensor(
          ort,
          lengths.map((n) => new Array<number>(n).fill(1)),
          width,
        ),
      // Segment ids go only to models that declare them; onnxruntime rejects unknown feeds.
      token_type_ids: () =>
        int64Tensor(
          ort,
          rows.map((row) => row.typeIds),
          width,
        ),
    };
    const unknown = inputNames.filter((name) => !(name in available));
    if (unknown.length > 0) {
      throw new MnemosError(
        'config_error',
        `the ONNX model needs inputs Mnemos cannot provide (${unknown.join(', ')}); use a BERT-style export with input_ids and attention_mask`,
      );
    }
    const feeds: Record<string, OrtTensor> = {};
    for (const name of inputNames) feeds[name] = available[name]!();
    return { feeds, lengths, width };
  }

  /** Adds the post-processor's special tokens (and segment ids) and maps tokens to ids. */
  private withSpecials(tokens: string[], pair: string[] | null): EncodedText {
    const processor = this.tokenizer.post_processor;
    let all: string[] = pair ? [...tokens, ...pair] : tokens;
    let typeIds: number[] | undefined = pair
      ? [...tokens.map(() => 0), ...pair.map(() => 1)]
      : undefined;
    if (processor) {
      const out = processor(tokens, pair, true);
      // Some processors (ByteLevel) hand the pair back unmerged.
      all = out.tokens_pair ? [...out.tokens, ...out.tokens_pair] : out.tokens;
      if (out.token_type_ids?.length === all.length) typeIds = out.token_type_ids;
    }
    const ids = all.map((token) => this.tokenizer.token_to_id(token) ?? this.unkId);
    return { ids, typeIds: typeIds ?? ids.map(() => 0) };
  }
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new MnemosError('config_error', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
