/** Patterns of secrets that must never reach a memory provider, each with its replacement label. */
const secretPatterns: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, 'private key'],
  [/\bsk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_-]{16,}\b/g, 'api key'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, 'access key'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, 'token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, 'token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, 'api key'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, 'token'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{16,}/gi, 'token'],
  [
    /\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)(\s*[:=]\s*|\s+is\s+)("[^"]*"|'[^']*'|\S+)/gi,
    'secret',
  ],
  [/(密码|口令|密钥|令牌)(\s*(?:[:：=]|是|为)\s*)([^\s，。；、,;]+)/g, 'secret'],
];

/**
 * The text with API keys, tokens, private keys and `password=…` style values replaced by
 * `[REDACTED <kind>]`, so turns synced to memory never carry credentials.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, label] of secretPatterns) {
    out = out.replace(pattern, (...groups: string[]) => {
      // Patterns with a key and separator keep them, so the sentence still reads.
      const key = groups[1];
      const separator = groups[2];
      return typeof separator === 'string' && typeof key === 'string' && groups.length > 5
        ? `${key}${separator}[REDACTED ${label}]`
        : `[REDACTED ${label}]`;
    });
  }
  return out;
}
