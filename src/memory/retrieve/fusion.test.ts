import { describe, expect, it } from 'vitest';
import { fuseRanks } from './fusion.js';

const keyword = [
  { key: 1, score: 9 },
  { key: 2, score: 5 },
];
const vector = [
  { key: 2, score: 0.9 },
  { key: 3, score: 0.8 },
  { key: 4, score: 0.7 },
];

describe('fuseRanks', () => {
  it('lets a list of weight 0 reorder nothing and add its hits after, in its own order', () => {
    const fused = fuseRanks(keyword, vector, 60, { keyword: 1, vector: 0 });
    expect(fused.map((candidate) => candidate.key)).toEqual([1, 2, 3, 4]);
    expect(fused[0]!.fused).toBeCloseTo(1);
    for (const candidate of fused) expect(candidate.fused).toBeGreaterThan(0);
    expect(fused[2]!.fused).toBeLessThan(fused[1]!.fused / 1000);
  });

  it('lets a weighted vector list lift a hit both lists found', () => {
    const fused = fuseRanks(keyword, vector, 60, { keyword: 1, vector: 1 });
    expect(fused[0]!.key).toBe(2);
  });
});
