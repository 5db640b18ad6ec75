import { createHash } from 'node:crypto';

/**
 * Full-text search of the Postgres backend without Postgres' own parser: the engine's tokens
 * (already segmented, CJK words and single characters included, lowercased) become the lexemes
 * exactly, through tsvector and tsquery literals passed as parameters. Results therefore do not
 * depend on the server's locale or text search configuration, and no user text reaches the SQL.
 */

/** Postgres refuses lexemes of 2 KB or more; such tokens are left out of the index and the query. */
const maxLexemeBytes = 2_000;
/** Highest position a tsvector stores. */
const maxPosition = 16_383;
/** Positions kept per lexeme (Postgres keeps at most 256). */
const maxPositionsPerLexeme = 255;
/** Lexemes of a tsvector must stay under 1 MB in total; the literal is capped below that. */
const maxLiteralBytes = 900_000;

/** Quotes one lexeme for a tsvector or tsquery literal. */
function quote(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function indexable(token: string): boolean {
  return token.length > 0 && Buffer.byteLength(token) <= maxLexemeBytes;
}

/**
 * The lexeme naming one tenant's postings (of a store, or of sessions), so the GIN index narrows to
 * the tenant before the query's tokens. It starts with a control character, which no token holds.
 */
export function partitionLexeme(space: string, appId: string, tenantId: string): string {
  const digest = createHash('sha256')
    .update(`${space}\u001f${appId}\u001f${tenantId}`)
    .digest('hex');
  return `\u0001${digest.slice(0, 24)}`;
}

/** A tsvector literal of space-joined tokens (with positions, plus the partition lexeme) and its count of distinct tokens. */
export function tsvectorLiteral(
  partition: string,
  tokens: string,
): { literal: string; lexemes: number } {
  const positions = new Map<string, number[]>();
  let position = 0;
  for (const token of tokens.split(' ')) {
    if (!indexable(token)) continue;
    position = Math.min(position + 1, maxPosition);
    const list = positions.get(token);
    if (!list) positions.set(token, [position]);
    else if (list.length < maxPositionsPerLexeme && list.at(-1) !== position) list.push(position);
  }
  const parts = [quote(partition)];
  let bytes = Buffer.byteLength(parts[0]!);
  for (const [lexeme, list] of positions) {
    const part = `${quote(lexeme)}:${list.join(',')}`;
    bytes += Buffer.byteLength(part) + 1;
    if (bytes > maxLiteralBytes) break;
    parts.push(part);
  }
  return { literal: parts.join(' '), lexemes: parts.length - 1 };
}

/** Weight of each distinct indexable query token: how many times the query gives it. */
export function queryWeights(tokens: string[]): { lexemes: string[]; weights: number[] } {
  const counts = new Map<string, number>();
  for (const token of tokens) if (indexable(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
  return { lexemes: [...counts.keys()], weights: [...counts.values()] };
}

/** The tokens a query may match, as given to the ranking: unique and indexable. */
export function queryLexemes(tokens: string[]): string[] {
  return [...new Set(tokens)].filter(indexable);
}

/** A tsquery literal matching any of the tokens, or null when none can match. */
export function anyTokenQuery(tokens: string[]): string | null {
  const unique = queryLexemes(tokens);
  return unique.length === 0 ? null : unique.map(quote).join(' | ');
}

/** A tsquery literal of the partition lexeme alone, ANDed with the tokens query in SQL. */
export function partitionQuery(partition: string): string {
  return quote(partition);
}
