/** When a model's circuit opens and for how long (config `agent.breaker`). */
export interface BreakerSettings {
  /** Calls of a model remembered, most recent last. */
  window: number;
  /** Share of failed calls in the window at which the circuit opens. */
  failureRate: number;
  /** Calls the window must hold before the circuit may open. */
  minCalls: number;
  /** How long an open circuit skips the model before one trial call. */
  cooldownMs: number;
}

/** The defaults of `agent.breaker`. */
export const defaultBreakerSettings: BreakerSettings = {
  window: 20,
  failureRate: 0.5,
  minCalls: 4,
  cooldownMs: 30_000,
};

/** `closed`: called normally; `open`: skipped until the cooldown ends; `half_open`: one trial call. */
export type BreakerState = 'closed' | 'open' | 'half_open';

interface Circuit {
  /** Outcomes of the last calls while closed, `true` for a failure. */
  outcomes: boolean[];
  openedAt: number | null;
  /** When the trial call of a half-open circuit started, or null when none is out. */
  trialAt: number | null;
}

/**
 * Circuit breakers of chat models, one per model name. A closed circuit counts failures over the
 * last `window` calls; at `failureRate` (with at least `minCalls` calls) it opens, and turns start
 * at the next model of their chain instead. After `cooldownMs` the next turn tries the model once:
 * a success closes the circuit, a failure opens it for another cooldown.
 */
export class ModelBreaker {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    readonly settings: BreakerSettings = defaultBreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The state of a model's circuit now. */
  state(model: string): BreakerState {
    const circuit = this.circuits.get(model);
    if (!circuit || circuit.openedAt === null) return 'closed';
    return this.now() - circuit.openedAt >= this.settings.cooldownMs ? 'half_open' : 'open';
  }

  /**
   * True when the model may be called now: its circuit is closed, or half-open with no trial
   * call out, which this call then claims (so concurrent turns do not all try it at once).
   */
  tryAcquire(model: string): boolean {
    const state = this.state(model);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const circuit = this.circuit(model);
    const now = this.now();
    // A trial that never reported (a cancelled turn) frees the slot after another cooldown.
    if (circuit.trialAt !== null && now - circuit.trialAt < this.settings.cooldownMs) return false;
    circuit.trialAt = now;
    return true;
  }

  /** Records a successful call: closes a half-open circuit. */
  success(model: string): void {
    const circuit = this.circuit(model);
    if (circuit.openedAt !== null) {
      this.circuits.set(model, { outcomes: [], openedAt: null, trialAt: null });
      return;
    }
    this.push(circuit, false);
  }

  /** Records a failed call: may open the circuit, and reopens a half-open one. */
  failure(model: string): void {
    const circuit = this.circuit(model);
    if (circuit.openedAt !== null) {
      circuit.openedAt = this.now();
      circuit.trialAt = null;
      return;
    }
    this.push(circuit, true);
    const failed = circuit.outcomes.filter(Boolean).length;
    if (
      circuit.outcomes.length >= this.settings.minCalls &&
      failed / circuit.outcomes.length >= this.settings.failureRate
    ) {
      circuit.openedAt = this.now();
    }
  }

  /** Why a model is skipped, for the `model_fallback` event. */
  describe(model: string): string {
    const circuit = this.circuits.get(model);
    if (!circuit || circuit.openedAt === null) return `${model} is available`;
    const failed = circuit.outcomes.filter(Boolean).length;
    const retry = new Date(circuit.openedAt + this.settings.cooldownMs).toISOString();
    return `circuit open: ${failed} of the last ${circuit.outcomes.length} calls of ${model} failed; it is tried again after ${retry} (agent.breaker)`;
  }

  private circuit(model: string): Circuit {
    let circuit = this.circuits.get(model);
    if (!circuit) {
      circuit = { outcomes: [], openedAt: null, trialAt: null };
      this.circuits.set(model, circuit);
    }
    return circuit;
  }

  private push(circuit: Circuit, failed: boolean): void {
    circuit.outcomes.push(failed);
    if (circuit.outcomes.length > this.settings.window) circuit.outcomes.shift();
  }
}

const shared = new Map<string, ModelBreaker>();

/**
 * The process-wide breaker of these settings: every agent of a process (each HTTP turn builds its
 * own agent) shares the circuits of the model names it uses.
 */
export function sharedBreaker(settings: BreakerSettings): ModelBreaker {
  const key = JSON.stringify(settings);
  let breaker = shared.get(key);
  if (!breaker) {
    breaker = new ModelBreaker(settings);
    shared.set(key, breaker);
  }
  return breaker;
}
