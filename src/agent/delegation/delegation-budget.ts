/** Limits of delegation, from config `agent.delegation`. */
export interface DelegationLimits {
  /** Children running at once; others wait for a slot, in order. */
  maxConcurrent: number;
  /** Wall time of one child from its start, ms. */
  timeoutMs: number;
  /** Model steps of one child. */
  maxIterations: number;
  /** Model steps of all children of one parent turn. */
  maxIterationsTotal: number;
  /** Input plus output tokens of all children of one parent turn. */
  maxTokensTotal: number;
}

/**
 * What the children of one parent turn share. Slots: at most `maxConcurrent` run at once, the others
 * wait in order. Steps: a starting child reserves up to its own maximum from what is left and gives
 * back what it did not use, so the total never passes `maxIterationsTotal`. Tokens: counted as steps
 * finish; once `maxTokensTotal` is reached `signal` aborts, stopping every running child.
 */
export class DelegationBudget {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private stepsLeft: number;
  private tokensUsed = 0;
  private readonly spent = new AbortController();

  constructor(readonly limits: DelegationLimits) {
    this.stepsLeft = limits.maxIterationsTotal;
  }

  /** Aborted once the tokens are spent. */
  get signal(): AbortSignal {
    return this.spent.signal;
  }

  /** Tokens the children used so far. */
  get tokens(): number {
    return this.tokensUsed;
  }

  /** Waits for a free slot; false when `signal` aborts first (the slot is then not taken). */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.running < this.limits.maxConcurrent) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const start = (): void => {
        signal.removeEventListener('abort', give);
        this.running++;
        resolve(true);
      };
      const give = (): void => {
        const index = this.waiting.indexOf(start);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(false);
      };
      this.waiting.push(start);
      signal.addEventListener('abort', give, { once: true });
    });
  }

  /** Frees a slot taken by `acquire`; the next waiting child starts. */
  release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  /** Model steps a starting child may take; 0 when the budget is spent (the child is refused). */
  reserve(): number {
    if (this.spent.signal.aborted || this.stepsLeft <= 0) return 0;
    const steps = Math.min(this.limits.maxIterations, this.stepsLeft);
    this.stepsLeft -= steps;
    return steps;
  }

  /** Gives back the steps a finished child reserved and did not use. */
  settle(reserved: number, used: number): void {
    this.stepsLeft += Math.max(0, reserved - used);
  }

  /** Counts the tokens of one finished model step. */
  addTokens(tokens: number): void {
    this.tokensUsed += tokens;
    if (this.tokensUsed >= this.limits.maxTokensTotal) this.spent.abort();
  }
}
