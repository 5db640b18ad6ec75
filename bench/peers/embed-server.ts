import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Vector length of the shared embedder. */
export const embedDimensions = 256;

const stop = new Set(
  'a an the and or of to in on at for with is are was were be do does did what which who whom how when where i my me you your their they it its this that there usually often about'.split(
    ' ',
  ),
);

/** Lowercased words with a crude stem, so "drinks" and "drink" (a paraphrase's words) meet. */
function features(text: string): string[] {
  const out: string[] = [];
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (stop.has(word)) continue;
    out.push(word.length > 4 ? word.replace(/(ing|ed|es|s)$/u, '') : word);
  }
  return out;
}

function fnv(text: string, seed: number): number {
  let hash = 2166136261 ^ seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** Deterministic hashed bag-of-stems embedding, unit length. */
export function embed(text: string): number[] {
  const vector = new Array<number>(embedDimensions).fill(0);
  for (const feature of features(text)) {
    for (const seed of [1, 2]) {
      const hash = fnv(feature, seed);
      vector[hash % embedDimensions]! += hash & 0x80000000 ? -1 : 1;
    }
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/** A running embedding server and how many texts it embedded. */
export interface EmbedServer {
  url: string;
  texts(): number;
  close(): Promise<void>;
}

/**
 * A tiny OpenAI-compatible `/v1/embeddings` server on 127.0.0.1: every system under test gets the
 * same vectors over the same HTTP, so differences are the memory engines' own.
 */
export async function startEmbedServer(): Promise<EmbedServer> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !request.url?.endsWith('/embeddings')) {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        input: string | string[];
        model?: string;
      };
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      count += inputs.length;
      const payload = JSON.stringify({
        object: 'list',
        model: body.model ?? 'bench-hash',
        data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: embed(text) })),
        usage: { prompt_tokens: 0, total_tokens: 0 },
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(payload);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    texts: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
