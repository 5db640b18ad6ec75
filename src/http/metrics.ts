import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Mnemos } from '../mnemos.js';
import type { StorageStatistics } from '../spec/storage.js';

/** The Prometheus metrics of one server: per-route traffic, ingestion, memories, tokens, tool calls. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'mnemos_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'mnemos_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'mnemos_agent_tokens_total',
    help: 'Chat tokens used by agent turns',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly toolCalls = new Counter({
    name: 'mnemos_tool_calls_total',
    help: 'Tool calls of agent turns by tool and outcome (ok, or error when the tool failed or refused)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Clients following sessions now (`/v1/sessions/{id}/stream` and `/ws`); set by the agent host. */
  watching: () => number = () => 0;

  private cached: { at: number; value: Promise<StorageStatistics> } | null = null;

  constructor(mnemos: Mnemos) {
    collectDefaultMetrics({ register: this.registry, prefix: 'mnemos_process_' });
    // One statistics read serves every gauge of a scrape.
    const statistics = (): Promise<StorageStatistics> => {
      const now = Date.now();
      if (!this.cached || now - this.cached.at > 1_000)
        this.cached = { at: now, value: mnemos.statistics() };
      return this.cached.value;
    };
    const metrics = this;
    new Gauge({
      name: 'mnemos_session_streams',
      help: 'Open session streams (SSE and WebSocket clients following a session)',
      registers: [this.registry],
      collect() {
        this.set(metrics.watching());
      },
    });
    new Gauge({
      name: 'mnemos_ingest_queue_depth',
      help: 'Ingestion jobs queued or running',
      registers: [this.registry],
      async collect() {
        const { jobStates } = await statistics();
        this.set((jobStates.queued ?? 0) + (jobStates.running ?? 0));
      },
    });
    new Gauge({
      name: 'mnemos_jobs',
      help: 'Ingestion jobs by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        // States that dropped to zero must not keep their last value.
        this.reset();
        for (const [state, count] of Object.entries((await statistics()).jobStates))
          this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'mnemos_memories',
      help: 'Live memories by store',
      labelNames: ['store'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [store, count] of Object.entries((await statistics()).memoriesByStore))
          this.set({ store }, count);
      },
    });
    new Gauge({
      name: 'mnemos_ingest_tokens',
      help: 'Chat tokens recorded on succeeded ingestion jobs',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        const usage = (await statistics()).jobTokens;
        this.set({ kind: 'prompt' }, usage.promptTokens);
        this.set({ kind: 'completion' }, usage.completionTokens);
      },
    });
  }
}
