import { MnemosError } from '../../core/errors.js';

/** The version pinned in package.json; newer ones download binaries at install time, which fails offline. */
export const onnxRuntimePackage = 'onnxruntime-node@1.14.0';

/** The slice of an `onnxruntime-node` tensor Mnemos reads; typed here so the package stays optional. */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
}

/** The slice of an `onnxruntime-node` inference session Mnemos uses. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}

/** Session options of onnxruntime 1.14 that Mnemos sets. */
export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionProviders?: string[];
}

/** The slice of the `onnxruntime-node` module Mnemos uses. */
export interface OrtModule {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(path: string, options?: OrtSessionOptions): Promise<OrtSession> };
}

const loaded = new Map<string, Promise<OrtModule>>();

/**
 * Loads `onnxruntime-node` on first use. It is an optional dependency, so it is imported dynamically
 * and its absence is a configuration error with the install command, not a crash at startup.
 * `specifier` exists for tests.
 */
export function loadOnnxRuntime(specifier = 'onnxruntime-node'): Promise<OrtModule> {
  let promise = loaded.get(specifier);
  if (!promise) {
    promise = importRuntime(specifier);
    loaded.set(specifier, promise);
    // A failed import is not cached: installing the package fixes it without a restart.
    promise.catch(() => loaded.delete(specifier));
  }
  return promise;
}

async function importRuntime(specifier: string): Promise<OrtModule> {
  let module: { default?: unknown } & Record<string, unknown>;
  try {
    module = (await import(specifier)) as typeof module;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new MnemosError(
      'config_error',
      missing
        ? `the onnx provider needs the optional package onnxruntime-node; run \`npm install ${onnxRuntimePackage}\` (newer versions download binaries at install time and fail offline)`
        : `onnxruntime-node failed to load (${(error as Error).message}); reinstall it with \`npm install ${onnxRuntimePackage}\``,
      { details: { package: onnxRuntimePackage }, cause: error },
    );
  }
  // onnxruntime-node is CommonJS; Node exposes its exports on `default`.
  const runtime = (module.InferenceSession ? module : module.default) as OrtModule | undefined;
  if (typeof runtime?.InferenceSession?.create !== 'function') {
    throw new MnemosError(
      'config_error',
      `"${specifier}" does not look like onnxruntime-node; run \`npm install ${onnxRuntimePackage}\``,
    );
  }
  return runtime;
}

/** Opens an ONNX model on the CPU with few threads, so inference does not starve the event loop's host. */
export async function openSession(modelPath: string, threads = 2): Promise<OrtSession> {
  const ort = await loadOnnxRuntime();
  try {
    return await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
  } catch (error) {
    throw new MnemosError(
      'config_error',
      `cannot load the ONNX model ${modelPath}: ${(error as Error).message}`,
      { details: { path: modelPath }, cause: error },
    );
  }
}

/**
 * Lets pending I/O run between batches: onnxruntime-node 1.14 runs inference synchronously on the
 * main thread, so without this a long embedding job would hold every socket until it finished.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Packs rows of token ids (or masks) into an int64 `[rows, width]` tensor, padding with `pad`. */
export function int64Tensor(
  ort: OrtModule,
  rows: readonly (readonly number[])[],
  width: number,
  pad = 0,
): OrtTensor {
  const data = new BigInt64Array(rows.length * width).fill(BigInt(pad));
  rows.forEach((row, index) => {
    for (let column = 0; column < row.length && column < width; column++) {
      data[index * width + column] = BigInt(row[column] ?? pad);
    }
  });
  return new ort.Tensor('int64', data, [rows.length, width]);
}

/** Reads a float output tensor, refusing other element types with a clear error. */
export function floatData(tensor: OrtTensor, name: string): Float32Array {
  if (!(tensor.data instanceof Float32Array)) {
    throw new MnemosError(
      'config_error',
      `ONNX output "${name}" is ${tensor.type}, expected float32; use an fp32 or quantized (not fp16) export`,
    );
  }
  return tensor.data;
}
