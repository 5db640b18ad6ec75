/** Weights of the scoring stage applied after fusion. */
export interface ScoringWeights {
  /** Boost for fresh memories: score × (1 + recencyWeight × 0.5^(age / half-life)). */
  recencyWeight: number;
  /** Half-life of the recency boost, in days. */
  recencyHalfLifeDays: number;
  /** Boost for often-recalled memories, on a log scale saturating at 50 recalls. */
  accessWeight: number;
  /** Boost (or penalty) for salience above (or below) 0.5. */
  salienceWeight: number;
}

/** Defaults: relevance dominates; recency, use and salience break near-ties. */
export const defaultScoringWeights: ScoringWeights = {
  recencyWeight: 0.1,
  recencyHalfLifeDays: 30,
  accessWeight: 0.05,
  salienceWeight: 0.1,
};

/** The factors behind a final score, reported with each result. */
export interface ScoreFactors {
  recency: number;
  access: number;
  salience: number;
  final: number;
}

const dayMs = 86_400_000;

/** Final score in (0, 1] of a fused candidate given its age, recall count and salience. */
export function scoreCandidate(
  fused: number,
  memory: { updatedAt: string; accessCount: number; salience: number },
  weights: ScoringWeights,
  now: number,
): ScoreFactors {
  const ageDays = Math.max(0, now - Date.parse(memory.updatedAt)) / dayMs;
  const recency = 0.5 ** (ageDays / weights.recencyHalfLifeDays);
  const access = Math.min(1, Math.log1p(memory.accessCount) / Math.log1p(50));
  const salience = memory.salience - 0.5;
  const boost =
    1 +
    weights.recencyWeight * recency +
    weights.accessWeight * access +
    weights.salienceWeight * salience;
  // Divided by the largest possible boost, so a perfect, fresh, much-used, salient match scores 1.
  const maxBoost = 1 + weights.recencyWeight + weights.accessWeight + weights.salienceWeight * 0.5;
  const final = (fused * boost) / maxBoost;
  return { recency, access, salience: memory.salience, final };
}
