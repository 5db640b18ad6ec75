/** A notification to deliver outside a session (a cron job's result, an alert). */
export interface Notification {
  /** Short title: the email subject, a bold first line elsewhere. */
  title: string;
  /** Markdown body. */
  text: string;
  /** Urgent notifications match routes with `when.urgent` (typically `all`). */
  urgent?: boolean;
}

/** What became of a notification on one target. */
export interface DeliveryOutcome {
  /** The concrete target, e.g. `telegram:12345`. */
  target: string;
  ok: boolean;
  /** Why it failed, when it did. */
  error?: string;
}

/**
 * Delivers notifications to messaging targets: `telegram:<chat>`, `slack:<channel>`,
 * `discord:<channel>`, `email:<addr>`, a bare platform (its home chat), `all`, or `route` (the
 * gateway's routing rules decide). Implemented by the gateway; cron delivery calls it.
 */
export interface Notifier {
  /** Whether `target` names something this notifier can reach (checked when a job is saved). */
  accepts(target: string): boolean;
  deliver(target: string, notification: Notification): Promise<DeliveryOutcome[]>;
}
