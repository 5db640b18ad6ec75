import type { JobInput } from '../jobs/job-record.js';
import {
  combineReports,
  type RedactionReport,
  type Redactor,
  redactionWarning,
} from '../redaction/redactor.js';

/** A job's input with secrets replaced in its text, message contents and metadata values. */
export function redactJobInput(
  input: JobInput,
  redactor: Redactor,
): { input: JobInput; redaction: RedactionReport } {
  const reports: RedactionReport[] = [];
  const redact = (text: string): string => {
    const redacted = redactor.redact(text);
    reports.push(redacted);
    return redacted.text;
  };
  const metadata = redactor.redactRecord(input.metadata);
  reports.push(metadata.redaction);
  return {
    input: {
      ...input,
      ...(input.text !== undefined ? { text: redact(input.text) } : {}),
      ...(input.messages
        ? {
            messages: input.messages.map((message) => ({
              ...message,
              content: redact(message.content),
            })),
          }
        : {}),
      metadata: metadata.record,
    },
    redaction: combineReports(reports),
  };
}

/** The `redacted` count and `warnings` an add response carries. */
export function redactionFields(redaction: RedactionReport): {
  redacted: number;
  warnings: string[];
} {
  return {
    redacted: redaction.count,
    warnings: redaction.count > 0 ? [redactionWarning(redaction)] : [],
  };
}
