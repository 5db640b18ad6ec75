import { MnemosError } from '../../core/errors.js';
import type { RerankCandidate, Reranker } from '../../spec/reranker.js';
import { type ModelFiles, modelDisplayName, resolveModelFiles } from './model-files.js';
import { ModelTokenizer } from './model-tokenizer.js';
import {
  floatData,
  loadOnnxRuntime,
  type OrtModule,
  type OrtSession,
  openSession,
  yieldToEventLoop,
} from './runtime.js';

/** Options of {@link OnnxCrossEncoderReranker.create}. */
export interface OnnxCrossEncoderOptions {
  /** A local model folder or a cached Hugging Face id, e.g. `Xenova/ms-marco-MiniLM-L-6-v2`, `BAAI/bge-reranker-base`. */
  model: string;
  /** ONNX file inside the model, e.g. `onnx/model_quantized.onnx`; default `onnx/model.onnx`, then `model.onnx`. */
  file?: string | undefined;
  /** Longest (query, passage) input in tokens; the longer side is trimmed first. Default 512. */
  maxLength?: number | undefined;
  /** Pairs per inference call; default 16. */
  batchSize?: number | undefined;
  /** onnxruntime intra-op threads; default 2. */
  threads?: number | undefined;
  /** Identity shown in search results; default `cross-encoder:<model>`. */
  id?: string | undefined;
}

/**
 * A local `Reranker`: a cross-encoder (ms-marco MiniLM, bge-reranker) that reads query and passage
 * together and scores the pair, run on the CPU by the optional `onnxruntime-node`. A single logit
 * becomes a (0, 1) score by a sigmoid; a two-class head scores the softmax probability of its last
 * ("relevant") column.
 *
 * @example
 * const reranker = await OnnxCrossEncoderReranker.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 */
export class OnnxCrossEncoderReranker implements Reranker {
  readonly id: string;
  readonly files: ModelFiles;
  readonly batchSize: number;
  private readonly ort: OrtModule;
  private readonly session: OrtSession;
  private readonly tokenizer: ModelTokenizer;
  private readonly output: string;

  private constructor(parts: {
    options: OnnxCrossEncoderOptions;
    files: ModelFiles;
    ort: OrtModule;
    session: OrtSession;
    tokenizer: ModelTokenizer;
  }) {
    this.files = parts.files;
    this.ort = parts.ort;
    this.session = parts.session;
    this.tokenizer = parts.tokenizer;
    const names = parts.session.outputNames;
    const output = names.includes('logits') ? 'logits' : names[0];
    if (!output)
      throw new MnemosError('config_error', `the ONNX model ${parts.files.onnx} has no outputs`);
    this.output = output;
    this.batchSize = parts.options.batchSize ?? 16;
    this.id = parts.options.id ?? `cross-encoder:${modelDisplayName(parts.options.model)}`;
  }

  /** Resolves the model files and opens the session; fails early on a missing model or runtime. */
  static async create(options: OnnxCrossEncoderOptions): Promise<OnnxCrossEncoderReranker> {
    for (const [what, value] of [
      ['batch size', options.batchSize ?? 16],
      ['threads', options.threads ?? 2],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new MnemosError(
          'config_error',
          `reranker ${what} must be a positive integer, got ${value}`,
        );
      }
    }
    const files = resolveModelFiles(options.model, {
      file: options.file,
      setting: 'reranker.model',
      example: 'Xenova/ms-marco-MiniLM-L-6-v2',
    });
    const tokenizer = ModelTokenizer.load(files, options.maxLength ?? 512);
    const ort = await loadOnnxRuntime();
    const session = await openSession(files.onnx, options.threads ?? 2);
    return new OnnxCrossEncoderReranker({ options, files, ort, session, tokenizer });
  }

  async doRerank(query: string, candidates: readonly RerankCandidate[]): Promise<number[]> {
    const scores: number[] = [];
    for (let start = 0; start < candidates.length; start += this.batchSize) {
      if (start > 0) await yieldToEventLoop();
      const batch = candidates.slice(start, start + this.batchSize);
      scores.push(...(await this.scoreBatch(query, batch)));
    }
    return scores;
  }

  /** Scores one batch of pairs: a single logit through a sigmoid, or the softmax of the last of two. */
  private async scoreBatch(query: string, batch: readonly RerankCandidate[]): Promise<number[]> {
    const rows = batch.map((candidate) => this.tokenizer.encodePair(query, candidate.text));
    const { feeds } = this.tokenizer.batch(this.ort, rows, this.session.inputNames);
    const outputs = await this.session.run(feeds);
    const tensor = outputs[this.output];
    if (!tensor)
      throw new MnemosError('config_error', `the ONNX model returned no "${this.output}" output`);
    const data = floatData(tensor, this.output);
    const columns = tensor.dims.length === 1 ? 1 : (tensor.dims[1] ?? 0);
    if (tensor.dims[0] !== batch.length || columns < 1 || columns > 2 || tensor.dims.length > 2) {
      throw new MnemosError(
        'config_error',
        `the cross-encoder returned shape [${tensor.dims.join(', ')}]; expected [${batch.length}, 1] or [${batch.length}, 2]`,
      );
    }
    return batch.map((_, row) => {
      const last = data[row * columns + columns - 1] ?? 0;
      // Two classes: the softmax probability of "relevant", which is the sigmoid of the difference.
      return sigmoid(columns === 2 ? last - (data[row * columns] ?? 0) : last);
    });
  }
}

function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}
