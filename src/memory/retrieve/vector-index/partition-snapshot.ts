import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlatVectorStore } from './flat-vector-store.js';
import { HnswGraph } from './hnsw-graph.js';

const version = 1;
const metaFile = 'meta.json';
const dataFile = /^(vectors|graph)-[0-9a-z-]+\.(bin|usearch)(\.tmp)?$/;

interface FileRef {
  file: string;
  bytes: number;
  sha256: string;
}

/** JSON sidecar of a snapshot; renaming it into place is the commit point of `writePartitionSnapshot`. */
export interface SnapshotMeta {
  version: number;
  dimensions: number;
  watermark: number;
  mode: 'exact' | 'hnsw';
  count: number;
  vectors: FileRef;
  graph: FileRef | null;
}

/** What a snapshot holds: the float vectors, the optional HNSW graph and the change sequence they reflect. */
export interface PartitionSnapshot {
  store: FlatVectorStore;
  graph: HnswGraph | null;
  watermark: number;
}

/** Writes `snapshot` into directory `dir`: data files under a fresh generation name, then the sidecar atomically, then removes older generations. */
export function writePartitionSnapshot(dir: string, snapshot: PartitionSnapshot): void {
  fs.mkdirSync(dir, { recursive: true });
  const { store, graph, watermark } = snapshot;
  const generation = `${watermark.toString(36)}-${randomBytes(6).toString('hex')}`;
  const vectors = commit(dir, `vectors-${generation}.bin`, (tmp) => {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, bytesOf(store.keys));
      writeAll(fd, bytesOf(store.vectors));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
  const graphRef =
    graph === null ? null : commit(dir, `graph-${generation}.usearch`, (tmp) => graph.save(tmp));
  const meta: SnapshotMeta = {
    version,
    dimensions: store.dimensions,
    watermark,
    mode: graph === null ? 'exact' : 'hnsw',
    count: store.size,
    vectors,
    graph: graphRef,
  };
  const metaTmp = path.join(dir, `${metaFile}.${generation}.tmp`);
  fs.writeFileSync(metaTmp, JSON.stringify(meta));
  fs.renameSync(metaTmp, path.join(dir, metaFile));
  syncDirectory(dir);
  for (const name of fs.readdirSync(dir)) {
    const stale =
      (dataFile.test(name) && !name.includes(generation)) ||
      (name.startsWith(`${metaFile}.`) && name.endsWith('.tmp'));
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Reads the snapshot in `dir`, or null when it is missing, damaged or for another dimension; every file is checksummed before usearch sees it. */
export function readPartitionSnapshot(dir: string, dimensions: number): PartitionSnapshot | null {
  try {
    const meta = parseMeta(fs.readFileSync(path.join(dir, metaFile), 'utf8'));
    if (meta === null || meta.dimensions !== dimensions) return null;
    const { count } = meta;
    if (meta.vectors.bytes !== count * (8 + 4 * dimensions)) return null;
    const capacity = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(count, 1))));
    const keys = new Float64Array(capacity);
    const rows = new Float32Array(capacity * dimensions);
    const hash = createHash('sha256');
    const fd = fs.openSync(path.join(dir, meta.vectors.file), 'r');
    try {
      if (fs.fstatSync(fd).size !== meta.vectors.bytes) return null;
      readAll(fd, bytesOf(keys.subarray(0, count)), hash);
      readAll(fd, bytesOf(rows.subarray(0, count * dimensions)), hash);
    } finally {
      fs.closeSync(fd);
    }
    if (hash.digest('hex') !== meta.vectors.sha256) return null;
    const store = FlatVectorStore.fromRows(dimensions, keys, rows, count);
    let graph: HnswGraph | null = null;
    if (meta.graph !== null) {
      const graphPath = path.join(dir, meta.graph.file);
      if (fileDigest(graphPath, meta.graph.bytes) !== meta.graph.sha256) return null;
      graph = HnswGraph.load(graphPath, dimensions);
      if (graph.size !== count || !graph.containsAll(store.keys)) return null;
    }
    return { store, graph, watermark: meta.watermark };
  } catch {
    return null;
  }
}

function parseMeta(text: string): SnapshotMeta | null {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return null;
  const meta = value as Partial<SnapshotMeta>;
  const counts = [meta.dimensions, meta.watermark, meta.count];
  if (meta.version !== version || !counts.every((n) => Number.isSafeInteger(n) && n! >= 0)) {
    return null;
  }
  if (meta.mode !== 'exact' && meta.mode !== 'hnsw') return null;
  if (!isFileRef(meta.vectors)) return null;
  if (meta.mode === 'hnsw' ? !isFileRef(meta.graph) : meta.graph !== null) return null;
  return meta as SnapshotMeta;
}

function isFileRef(value: unknown): value is FileRef {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as Partial<FileRef>;
  return (
    typeof ref.file === 'string' &&
    dataFile.test(ref.file) &&
    !ref.file.endsWith('.tmp') &&
    Number.isSafeInteger(ref.bytes) &&
    typeof ref.sha256 === 'string'
  );
}

function commit(dir: string, name: string, write: (tmp: string) => void): FileRef {
  const target = path.join(dir, name);
  const tmp = `${target}.tmp`;
  write(tmp);
  const bytes = fs.statSync(tmp).size;
  const sha256 = fileDigest(tmp, bytes);
  if (sha256 === null) throw new Error(`snapshot file ${tmp} changed while being written`);
  fs.renameSync(tmp, target);
  return { file: name, bytes, sha256 };
}

function fileDigest(file: string, expectedBytes: number): string | null {
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.fstatSync(fd).size !== expectedBytes) return null;
    const hash = createHash('sha256');
    const chunk = new Uint8Array(Math.min(expectedBytes, 1 << 22) || 1);
    for (let done = 0; done < expectedBytes; ) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, expectedBytes - done), done);
      if (n === 0) return null;
      hash.update(chunk.subarray(0, n));
      done += n;
    }
    return hash.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

function bytesOf(array: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    done += fs.writeSync(fd, bytes, done, bytes.length - done);
  }
}

function readAll(fd: number, bytes: Uint8Array, hash: ReturnType<typeof createHash>): void {
  for (let done = 0; done < bytes.length; ) {
    const n = fs.readSync(fd, bytes, done, bytes.length - done, null);
    if (n === 0) throw new RangeError('snapshot file ended early');
    done += n;
  }
  hash.update(bytes);
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Directories cannot be opened for fsync on every platform; the renames are still atomic.
  }
}
