import { describe, expect, it } from 'vitest';
import { defaultScoringWeights, scoreCandidate } from './scoring.js';

const now = Date.parse('2026-06-01T00:00:00Z');
const day = 86_400_000;

function memory(ageDays: number, accessCount: number, salience: number) {
  return { updatedAt: new Date(now - ageDays * day).toISOString(), accessCount, salience };
}

describe('scoreCandidate', () => {
  it('scores a perfect, fresh, much-used, salient match 1 and never more', () => {
    const best = scoreCandidate(1, memory(0, 50, 1), defaultScoringWeights, now);
    expect(best.final).toBeCloseTo(1, 10);
    expect(
      scoreCandidate(1, memory(0, 5_000, 1), defaultScoringWeights, now).final,
    ).toBeLessThanOrEqual(1);
  });

  it('halves the recency factor every half-life', () => {
    const factors = scoreCandidate(1, memory(30, 0, 0.5), defaultScoringWeights, now);
    expect(factors.recency).toBeCloseTo(0.5, 10);
  });

  it('prefers fresher, more used and more salient memories at equal relevance', () => {
    const base = scoreCandidate(0.5, memory(60, 0, 0.5), defaultScoringWeights, now).final;
    expect(
      scoreCandidate(0.5, memory(1, 0, 0.5), defaultScoringWeights, now).final,
    ).toBeGreaterThan(base);
    expect(
      scoreCandidate(0.5, memory(60, 10, 0.5), defaultScoringWeights, now).final,
    ).toBeGreaterThan(base);
    expect(
      scoreCandidate(0.5, memory(60, 0, 0.9), defaultScoringWeights, now).final,
    ).toBeGreaterThan(base);
  });

  it('never lets the boosts overturn a clearly better relevance', () => {
    const relevantButOld = scoreCandidate(1, memory(365, 0, 0.2), defaultScoringWeights, now).final;
    const weakButFresh = scoreCandidate(0.7, memory(0, 50, 1), defaultScoringWeights, now).final;
    expect(relevantButOld).toBeGreaterThan(weakButFresh);
  });
});
