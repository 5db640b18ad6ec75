import { rules as presetRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretFinding } from './secret-finding.js';

/** The part of secretlint's rule interface the preset's rules use. */
interface RuleContext {
  createTranslator(
    messages: unknown,
  ): (messageId: string, data?: unknown) => { message: string; messageId: string };
  report(descriptor: { message: { messageId: string }; range: readonly [number, number] }): void;
  ignore(): void;
  registerRule(): void;
}

interface RuleCreator {
  meta: { id: string };
  create(
    context: RuleContext,
    options: Record<string, unknown>,
  ): {
    file?(source: { content: string; ext: string; contentType: 'text' }): unknown;
  };
}

// The comment filter would let a `secretlint-disable` line in a memory switch redaction off.
const skippedRules = new Set(['@secretlint/secretlint-rule-filter-comments']);
const ruleOptions: Record<string, Record<string, unknown>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

const kindOfMessage: Record<string, string> = {
  AWSAccessKeyID: 'aws_access_key',
  AWSSecretAccessKey: 'aws_secret_key',
  AWSAccountID: 'aws_account_id',
  BasicAuth: 'url_password',
  PostgreSQLConnection: 'database_url',
  MySQLConnection: 'database_url',
  MongoDBConnection: 'database_url',
  PrivateKey: 'private_key',
  OPENAI_TOKEN: 'api_key',
  ANTHROPIC_API_KEY: 'api_key',
  GROQ_API_KEY: 'api_key',
};

function kindOf(messageId: string): string {
  return (
    kindOfMessage[messageId] ??
    messageId
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
  );
}

/**
 * Runs secretlint's recommended preset synchronously over plain text. The rules are called
 * directly: `@secretlint/core` keeps every performance mark of every call, which grows without
 * bound in a long-running server.
 */
export class SecretlintRules {
  private sink: SecretFinding[] = [];
  private readonly handlers: Array<{
    id: string;
    file: NonNullable<ReturnType<RuleCreator['create']>['file']>;
  }> = [];

  constructor() {
    for (const rule of presetRules as unknown as RuleCreator[]) {
      if (skippedRules.has(rule.meta.id)) continue;
      const context: RuleContext = {
        createTranslator: () => (messageId) => ({ message: messageId, messageId }),
        report: ({ message, range }) =>
          this.sink.push({ start: range[0], end: range[1], kind: kindOf(message.messageId) }),
        ignore: () => {},
        registerRule: () => {},
      };
      const file = rule.create(context, ruleOptions[rule.meta.id] ?? {}).file;
      if (file) this.handlers.push({ id: rule.meta.id, file });
    }
  }

  /** Names of the preset's rules in use. */
  get ruleIds(): string[] {
    return this.handlers.map((handler) => handler.id);
  }

  /** Secrets the preset finds in a text. */
  find(content: string): SecretFinding[] {
    const found: SecretFinding[] = [];
    this.sink = found;
    const source = { content, ext: '', contentType: 'text' as const };
    for (const handler of this.handlers) {
      try {
        handler.file(source);
      } catch {
        // One rule failing on odd input must not block the write; Mnemos' own rules still run.
      }
    }
    return found;
  }
}
