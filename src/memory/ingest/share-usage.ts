import type { JobUsage } from '../../core/job-record.js';
import type { NewFact } from '../../spec/reconciler.js';

/** Splits one reconciliation call's tokens among jobs in proportion to their facts that were asked about. */
export function shareUsage<T extends { usage?: JobUsage | undefined }>(
  usage: JobUsage,
  owners: T[],
  facts: NewFact[],
): void {
  const asked = new Map<T, number>();
  facts.forEach((fact, index) => {
    if (fact.similar.length === 0) return;
    const owner = owners[index]!;
    asked.set(owner, (asked.get(owner) ?? 0) + 1);
  });
  const total = [...asked.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return;
  let givenPrompt = 0;
  let givenCompletion = 0;
  let left = asked.size;
  for (const [plan, count] of asked) {
    left--;
    const prompt =
      left === 0
        ? usage.promptTokens - givenPrompt
        : Math.round((usage.promptTokens * count) / total);
    const completion =
      left === 0
        ? usage.completionTokens - givenCompletion
        : Math.round((usage.completionTokens * count) / total);
    givenPrompt += prompt;
    givenCompletion += completion;
    plan.usage = {
      promptTokens: (plan.usage?.promptTokens ?? 0) + prompt,
      completionTokens: (plan.usage?.completionTokens ?? 0) + completion,
    };
  }
}
