/** A scored document id. */
export interface Scored {
  id: number;
  score: number;
}

/** Best `k` of (id, score) pairs, highest first, by bounded insertion (k is small). */
export function topK(
  ids: ArrayLike<number>,
  scores: ArrayLike<number>,
  count: number,
  k: number,
): Scored[] {
  const best: Scored[] = [];
  for (let index = 0; index < count; index++) {
    const score = scores[index]!;
    if (best.length === k && score <= best[k - 1]!.score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { id: ids[index]!, score });
    if (best.length > k) best.pop();
  }
  return best;
}
