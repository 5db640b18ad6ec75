import type { JobInput } from '../core/job-record.js';
import {
  combineReports,
  type RedactionReport,
  type Redactor,
  redactionWarning,
} from '../redaction/redactor.js';

/**
 * Jobs' inputs with secrets replaced in their text, message contents and metadata values, each
 * with what was replaced; the whole batch is scanned at once.
 */
export function redactJobInputs(
  inputs: readonly JobInput[],
  redactor: Redactor,
): Array<{ input: JobInput; redaction: RedactionReport }> {
  const texts: string[] = [];
  for (const input of inputs) {
    if (input.text !== undefined) texts.push(input.text);
    for (const message of input.messages ?? []) texts.push(message.content);
    texts.push(...Object.values(input.metadata));
  }
  const redacted = redactor.redactMany(texts);
  let next = 0;
  return inputs.map((input) => {
    const reports: RedactionReport[] = [];
    const take = (): string => {
      const part = redacted[next++]!;
      reports.push(part);
      return part.text;
    };
    const text = input.text !== undefined ? take() : undefined;
    const messages = input.messages?.map((message) => ({ ...message, content: take() }));
    const metadata = Object.fromEntries(Object.keys(input.metadata).map((key) => [key, take()]));
    return {
      input: {
        ...input,
        ...(text !== undefined ? { text } : {}),
        ...(messages ? { messages } : {}),
        metadata,
      },
      redaction: combineReports(reports),
    };
  });
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
