import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { MnemosError } from '../../core/errors.js';

/** The files of one local model: everything an ONNX embedder or cross-encoder loads. */
export interface ModelFiles {
  /** The folder holding them (a local directory or a Hugging Face cache snapshot). */
  root: string;
  /** `tokenizer.json`. */
  tokenizer: string;
  /** `tokenizer_config.json`, when present. */
  tokenizerConfig?: string | undefined;
  /** `config.json`, when present. */
  config?: string | undefined;
  /** The ONNX graph. */
  onnx: string;
}

/** Options of {@link resolveModelFiles}. */
export interface ResolveModelOptions {
  /** ONNX file inside the model, e.g. `onnx/model_quantized.onnx`; default `onnx/model.onnx` or `model.onnx`. */
  file?: string | undefined;
  /** The setting to name in errors, e.g. `embedder.model` or `reranker.model`. */
  setting?: string | undefined;
  /** A hub id to suggest in the download hint when `model` is not one; default `Xenova/all-MiniLM-L6-v2`. */
  example?: string | undefined;
  /** Environment to read `HF_HUB_CACHE` / `HF_HOME` from; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
}

/** Default ONNX locations inside a model folder, in the order transformers.js exports use. */
export const defaultOnnxFiles = ['onnx/model.onnx', 'model.onnx'] as const;

const hubId = /^[\w.-]+(\/[\w.-]+)?$/;

/** The Hugging Face hub cache: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
export function huggingFaceCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return join(env.HF_HOME || join(homedir(), '.cache', 'huggingface'), 'hub');
}

/**
 * Finds a model's tokenizer and ONNX file without downloading anything. `model` is a local folder
 * (absolute, relative or `~/…`) or a Hugging Face id such as `Xenova/all-MiniLM-L6-v2`, looked up in
 * the hub cache (`refs/main` snapshot first, then any snapshot that has the files). A missing model
 * is a `config_error` listing every path tried and how to fetch the files on a networked machine.
 */
export function resolveModelFiles(model: string, options: ResolveModelOptions = {}): ModelFiles {
  const setting = options.setting ?? 'model';
  const name = model.trim();
  if (name === '')
    throw new MnemosError('config_error', `${setting} is empty; set a folder or a Hugging Face id`);
  if (
    options.file !== undefined &&
    (isAbsolute(options.file) || options.file.split(/[\\/]/).includes('..'))
  ) {
    throw new MnemosError(
      'config_error',
      `ONNX file "${options.file}" must be a path inside the model folder`,
    );
  }
  const onnxCandidates = options.file ? [options.file] : [...defaultOnnxFiles];
  const local = resolve(expandHome(name));
  const pathLike = isAbsolute(name) || /^(\.{1,2}|~)([\\/]|$)/.test(name);
  const isId = !pathLike && hubId.test(name);
  // An id is also tried as a relative folder, so `models/e5-small` works either way.
  const folders = !isId || isDirectory(local) ? [local] : [];
  const tried = isId && folders.length === 0 ? [`${local}/ (no such folder)`] : [];
  if (isId) {
    const snapshots = snapshotFolders(name, options.env);
    folders.push(...snapshots);
    if (snapshots.length === 0) {
      tried.push(
        join(huggingFaceCacheDir(options.env), cacheFolderName(name), 'snapshots', '<revision>/'),
      );
    }
  }
  for (const folder of folders) {
    const found = filesIn(folder, onnxCandidates);
    if (found) return found;
    tried.push(join(folder, 'tokenizer.json'), ...onnxCandidates.map((file) => join(folder, file)));
  }
  throw missingModel(name, isId, onnxCandidates, tried, options);
}

/** A short, stable name for identities: a hub id stays whole, a folder is named by its last segment. */
export function modelDisplayName(model: string): string {
  const trimmed = model.trim().replace(/[\\/]+$/, '');
  return /^[\w.-]+\/[\w.-]+$/.test(trimmed) ? trimmed : basename(trimmed);
}

/** `models--org--name`, the hub cache folder of a model id. */
function cacheFolderName(id: string): string {
  return `models--${id.split('/').join('--')}`;
}

/** Snapshot folders of a cached model: the `refs/main` revision first, then the newest others. */
function snapshotFolders(id: string, env?: NodeJS.ProcessEnv): string[] {
  const repo = join(huggingFaceCacheDir(env), cacheFolderName(id));
  const snapshots = join(repo, 'snapshots');
  if (!isDirectory(snapshots)) return [];
  const revisions = readdirSync(snapshots)
    .map((revision) => join(snapshots, revision))
    .filter(isDirectory)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const refPath = join(repo, 'refs', 'main');
  const main = existsSync(refPath)
    ? join(snapshots, readFileSync(refPath, 'utf8').trim())
    : undefined;
  return main && isDirectory(main)
    ? [main, ...revisions.filter((revision) => revision !== main)]
    : revisions;
}

/** The model files in one folder, or undefined when the tokenizer or the ONNX file is missing. */
function filesIn(folder: string, onnxCandidates: readonly string[]): ModelFiles | undefined {
  const tokenizer = join(folder, 'tokenizer.json');
  const onnx = onnxCandidates.map((file) => join(folder, file)).find(isFile);
  if (!isFile(tokenizer) || !onnx) return undefined;
  const optional = (file: string) => (isFile(join(folder, file)) ? join(folder, file) : undefined);
  return {
    root: folder,
    tokenizer,
    tokenizerConfig: optional('tokenizer_config.json'),
    config: optional('config.json'),
    onnx,
  };
}

function missingModel(
  name: string,
  isId: boolean,
  onnxCandidates: readonly string[],
  tried: readonly string[],
  options: ResolveModelOptions,
): MnemosError {
  const setting = options.setting ?? 'model';
  const id = isId && name.includes('/') ? name : (options.example ?? 'Xenova/all-MiniLM-L6-v2');
  const folder = basename(id);
  const paths = [...new Set(tried)];
  const message = [
    `model "${name}" (${setting}) not found: it needs tokenizer.json and ${onnxCandidates.join(' or ')}, and Mnemos never downloads models. Tried:`,
    ...paths.map((path) => `  ${path}`),
    `On a machine with network access, run${id === name ? '' : ' (for example)'}`,
    `  huggingface-cli download ${id} tokenizer.json tokenizer_config.json config.json ${onnxCandidates[0]} --local-dir ${folder}`,
    `then copy the ${folder} folder here and set ${setting} to its path (or copy the Hugging Face cache to ${huggingFaceCacheDir(options.env)}).`,
  ].join('\n');
  return new MnemosError('config_error', message, { details: { model: name, tried: paths } });
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
