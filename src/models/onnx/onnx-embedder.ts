import { basename, extname } from 'node:path';
import { MnemosError } from '../../core/errors.js';
import type { Embedder } from '../../spec/embedder.js';
import { type ModelFiles, modelDisplayName, resolveModelFiles } from './model-files.js';
import { ModelTokenizer } from './model-tokenizer.js';
import { normalizeInPlace, type Pooling, poolRows } from './pooling.js';
import {
  floatData,
  loadOnnxRuntime,
  type OrtModule,
  type OrtSession,
  openSession,
  yieldToEventLoop,
} from './runtime.js';

/** Options of {@link OnnxEmbedder.create}. */
export interface OnnxEmbedderOptions {
  /** A local model folder or a Hugging Face id already in the hub cache, e.g. `Xenova/all-MiniLM-L6-v2`. */
  model: string;
  /** ONNX file inside the model, e.g. `onnx/model_quantized.onnx`; default `onnx/model.onnx`, then `model.onnx`. */
  file?: string | undefined;
  /** `mean` (default; MiniLM, e5, gte) or `cls` (bge). Ignored when the model outputs pooled `[batch, hidden]`. */
  pooling?: Pooling | undefined;
  /** Scale vectors to unit length; default true. */
  normalize?: boolean | undefined;
  /** Longest input in tokens, special tokens included; longer texts are truncated. Default 256. */
  maxLength?: number | undefined;
  /** Texts per inference call; default 16. */
  batchSize?: number | undefined;
  /** Prepended to every text, for models trained with one (e5: `passage: `, nomic: `search_document: `). */
  prefix?: string | undefined;
  /** Output to read; default `last_hidden_state` when present, else the first output. */
  output?: string | undefined;
  /** onnxruntime intra-op threads; default 2. */
  threads?: number | undefined;
  /** Identity recorded in stores; default `onnx:<model name>[@<file>]:<pooling>`. */
  id?: string | undefined;
}

/**
 * A local neural `Embedder`: a Hugging Face tokenizer plus an ONNX transformer run on the CPU by the
 * optional `onnxruntime-node`. Nothing is downloaded; the dimension is read from the model by
 * embedding one probe text, which is why construction is the async {@link OnnxEmbedder.create}.
 *
 * @example
 * const embedder = await OnnxEmbedder.create({ model: 'Xenova/all-MiniLM-L6-v2' });
 */
export class OnnxEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  /** Sentence models put rewordings of one statement above 0.9; candidates are still verified. */
  readonly nearDuplicateThreshold = 0.9;
  readonly fusionWeight = 0.5;
  readonly files: ModelFiles;
  readonly pooling: Pooling;
  readonly batchSize: number;
  private readonly ort: OrtModule;
  private readonly session: OrtSession;
  private readonly tokenizer: ModelTokenizer;
  private readonly output: string;
  private readonly normalize: boolean;
  private readonly prefix: string;

  private constructor(parts: {
    options: OnnxEmbedderOptions;
    files: ModelFiles;
    ort: OrtModule;
    session: OrtSession;
    tokenizer: ModelTokenizer;
    output: string;
    dimensions: number;
  }) {
    const { options } = parts;
    this.files = parts.files;
    this.ort = parts.ort;
    this.session = parts.session;
    this.tokenizer = parts.tokenizer;
    this.output = parts.output;
    this.dimensions = parts.dimensions;
    this.pooling = options.pooling ?? 'mean';
    this.normalize = options.normalize ?? true;
    this.prefix = options.prefix ?? '';
    this.batchSize = options.batchSize ?? 16;
    this.id = options.id ?? defaultId(options, this.pooling);
  }

  /** Resolves the model files, opens the session and probes the output dimension. */
  static async create(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const pooling = options.pooling ?? 'mean';
    if (pooling !== 'mean' && pooling !== 'cls') {
      throw new MnemosError(
        'config_error',
        `embedder pooling must be mean or cls, got "${pooling}"`,
      );
    }
    positiveInteger('embedder batch size', options.batchSize ?? 16);
    positiveInteger('embedder threads', options.threads ?? 2);
    const files = resolveModelFiles(options.model, {
      file: options.file,
      setting: 'embedder.model',
    });
    const tokenizer = ModelTokenizer.load(files, options.maxLength ?? 256);
    const ort = await loadOnnxRuntime();
    const session = await openSession(files.onnx, options.threads ?? 2);
    const output = pickOutput(session, options.output, files.onnx);
    const draft = new OnnxEmbedder({
      options,
      files,
      ort,
      session,
      tokenizer,
      output,
      dimensions: 0,
    });
    const [probe] = await draft.runBatch(['probe']);
    const dimensions = probe?.length ?? 0;
    if (dimensions < 1) {
      throw new MnemosError(
        'config_error',
        `the ONNX model ${files.onnx} returned an empty vector`,
      );
    }
    return new OnnxEmbedder({ options, files, ort, session, tokenizer, output, dimensions });
  }

  async doEmbed(texts: readonly string[]): Promise<Float32Array[]> {
    // Similar lengths share a batch, so little compute goes to padding; results return in input order.
    const order = texts
      .map((text, index) => ({ index, length: text.length }))
      .sort((a, b) => a.length - b.length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      if (start > 0) await yieldToEventLoop();
      const slice = order.slice(start, start + this.batchSize);
      const batch = await this.runBatch(slice.map((item) => texts[item.index] ?? ''));
      slice.forEach((item, position) => {
        vectors[item.index] = batch[position]!;
      });
    }
    return vectors;
  }

  /** Embeds one batch: tokenise, pad, run, pool, normalise. */
  private async runBatch(texts: readonly string[]): Promise<Float32Array[]> {
    const rows = texts.map((text) => this.tokenizer.encode(this.prefix + text));
    const { feeds, lengths } = this.tokenizer.batch(this.ort, rows, this.session.inputNames);
    const outputs = await this.session.run(feeds);
    const tensor = outputs[this.output];
    if (!tensor) {
      throw new MnemosError('config_error', `the ONNX model returned no "${this.output}" output`);
    }
    const vectors = poolRows(floatData(tensor, this.output), tensor.dims, lengths, this.pooling);
    if (this.dimensions > 0 && vectors.some((vector) => vector.length !== this.dimensions)) {
      throw new MnemosError('config_error', `the ONNX model changed its output width mid-run`);
    }
    return this.normalize ? vectors.map(normalizeInPlace) : vectors;
  }
}

/** `last_hidden_state` when the model has it, else the requested or first output. */
function pickOutput(session: OrtSession, requested: string | undefined, path: string): string {
  const names = session.outputNames;
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new MnemosError(
        'config_error',
        `the ONNX model ${path} has no output "${requested}"; it has ${names.join(', ')}`,
      );
    }
    return requested;
  }
  const chosen = names.includes('last_hidden_state') ? 'last_hidden_state' : names[0];
  if (!chosen) throw new MnemosError('config_error', `the ONNX model ${path} has no outputs`);
  return chosen;
}

function defaultId(options: OnnxEmbedderOptions, pooling: Pooling): string {
  const variant = options.file ? `@${basename(options.file, extname(options.file))}` : '';
  return `onnx:${modelDisplayName(options.model)}${variant}:${pooling}`;
}

function positiveInteger(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new MnemosError('config_error', `${what} must be a positive integer, got ${value}`);
  }
}
