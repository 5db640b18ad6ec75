import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { Agent, fetch } from 'undici';
import { guardedLookup, webAddressPolicy } from '../agent/tools/web-address-policy.js';
import { checkedUrl } from '../agent/tools/web-fetch.js';
import type { CronDelivery, CronJobRecord, CronRunRecord } from '../core/cron-record.js';
import type { Notifier } from '../spec/notifier.js';
import type { CronOutcome } from './cron-executor.js';

/** A reply containing this marker is not delivered (the run is recorded `silent`). */
export const silentMarker = '[SILENT]';

/** Writes one log line of a delivery (the `log` target) or a delivery problem. */
export type CronLog = (
  level: 'info' | 'warn',
  message: string,
  fields: Record<string, unknown>,
) => void;

/** Where deliveries go besides the notifier: the home (relative `file:` paths), the log, webhook limits. */
export interface CronDeliveryOptions {
  home: string;
  log: CronLog;
  /** Gateway targets; null when no gateway runs in this process. */
  notifier: Notifier | null;
  /** Hosts webhooks may reach though not public (config `agent.web.allow_hosts`). */
  allowHosts: readonly string[];
  webhookTimeoutMs: number;
}

/** How a run ended after delivery: its status and what became of each target. */
export interface CronDelivered {
  status: 'ok' | 'error' | 'silent';
  deliveries: CronDelivery[];
}

/** The text delivered for a run: the reply under "Cronjob Response: <name>", or a short error note. */
export function deliveryText(
  job: CronJobRecord,
  outcome: CronOutcome,
): { title: string; body: string } {
  return {
    title: `Cronjob Response: ${job.name}`,
    body: outcome.ok ? outcome.output : `The job failed: ${outcome.error ?? 'unknown error'}`,
  };
}

/**
 * Delivers a run's outcome to every target of its job. A reply with `[SILENT]` is not delivered;
 * a failure always is. A target that fails is recorded `ok: false` and never fails the run.
 */
export async function deliverRun(
  job: CronJobRecord,
  run: CronRunRecord,
  outcome: CronOutcome,
  options: CronDeliveryOptions,
): Promise<CronDelivered> {
  const status = !outcome.ok ? 'error' : outcome.output.includes(silentMarker) ? 'silent' : 'ok';
  if (status === 'silent') return { status, deliveries: [] };
  const text = deliveryText(job, outcome);
  const deliveries: CronDelivery[] = [];
  for (const target of job.deliver) {
    try {
      deliveries.push(...(await deliverOne(target, job, run, outcome, text, options)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.log('warn', 'cron delivery failed', {
        job: job.name,
        run: run.id,
        target,
        error: message,
      });
      deliveries.push({ target, ok: false, error: message });
    }
  }
  return { status, deliveries };
}

async function deliverOne(
  target: string,
  job: CronJobRecord,
  run: CronRunRecord,
  outcome: CronOutcome,
  text: { title: string; body: string },
  options: CronDeliveryOptions,
): Promise<CronDelivery[]> {
  if (target === 'log') {
    options.log(outcome.ok ? 'info' : 'warn', 'cron run', {
      job: job.name,
      run: run.id,
      tenant: job.tenantId,
      ok: outcome.ok,
      output: outcome.ok ? outcome.output : undefined,
      error: outcome.error ?? undefined,
    });
    return [{ target, ok: true }];
  }
  if (target.startsWith('file:')) {
    const raw = target.slice('file:'.length);
    const path = isAbsolute(raw) ? raw : join(options.home, raw);
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `## ${text.title} (${run.scheduledFor})\n\n${text.body}\n\n`);
    return [{ target, ok: true }];
  }
  if (target.startsWith('webhook:')) {
    await postWebhook(target.slice('webhook:'.length), job, run, outcome, options);
    return [{ target, ok: true }];
  }
  if (!options.notifier) {
    return [
      { target, ok: false, error: `no gateway runs in this process to deliver to ${target}` },
    ];
  }
  // The notifier shows the title itself (a bold first line, or the email subject).
  return options.notifier.deliver(target, {
    title: text.title,
    text: text.body,
    urgent: !outcome.ok,
  });
}

async function postWebhook(
  raw: string,
  job: CronJobRecord,
  run: CronRunRecord,
  outcome: CronOutcome,
  options: CronDeliveryOptions,
): Promise<void> {
  const policy = webAddressPolicy(options.allowHosts);
  const url = checkedUrl(raw, undefined, policy);
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });
  try {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      dispatcher,
      signal: AbortSignal.timeout(options.webhookTimeoutMs),
      headers: { 'content-type': 'application/json', 'user-agent': 'Mnemos-cron/0.1' },
      body: JSON.stringify({
        job: { id: job.id, name: job.name },
        run: { id: run.id, scheduledFor: run.scheduledFor, startedAt: run.startedAt },
        status: outcome.ok ? 'ok' : 'error',
        output: outcome.output,
        error: outcome.error,
      }),
    });
    await response.body?.cancel().catch(() => undefined);
    // Redirects are not followed: a webhook answering with one could point at a private address.
    if (response.status >= 300) throw new Error(`the webhook answered ${response.status}`);
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    if (error instanceof Error && cause && !error.message.includes(cause)) {
      throw new Error(`${error.message}: ${cause}`);
    }
    throw error;
  } finally {
    void dispatcher.destroy().catch(() => undefined);
  }
}
