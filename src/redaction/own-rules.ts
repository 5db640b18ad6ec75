/** A secret pattern Mnemos keeps itself; only the `secret` named group is replaced when present. */
export interface SecretRule {
  /** Marker kind, as in `[REDACTED:<kind>]`. */
  kind: string;
  /** Global pattern; a named group `secret` limits the replacement to that part. */
  pattern: RegExp;
}

const keyValueNames =
  '[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|token|credentials?)';

/**
 * What the secretlint preset misses or ignores: Mnemos keys, generic `name=value` secrets,
 * passwords in URLs, Chinese password phrases, truncated PEM blocks, bare AWS key ids.
 */
export const ownRules: readonly SecretRule[] = [
  {
    kind: 'private_key',
    // The END line is optional: a pasted key cut short still loses its body.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|(?:(?:\s|\\n)*(?:[A-Za-z-]+: [^\n]*|[A-Za-z0-9+/=]{16,}))*(?:(?:\s|\\n)*[A-Za-z0-9+/=]+)?)/g,
  },
  { kind: 'mnemos_key', pattern: /(?<![A-Za-z0-9_])mn_[A-Za-z0-9_-]{20,}/g },
  { kind: 'api_key', pattern: /\bsk-(?:ant-|proj-|or-v1-|svcacct-)?[A-Za-z0-9_-]{16,}/g },
  { kind: 'api_key', pattern: /\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    kind: 'aws_access_key',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g,
  },
  { kind: 'token', pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g },
  { kind: 'token', pattern: /\bgithub_pat_[A-Za-z0-9_]{40,}/g },
  { kind: 'token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  {
    kind: 'authorization',
    pattern:
      /\b(?:Authorization|Proxy-Authorization)\s*[:=]\s*(?:(?:Basic|Bearer|Token|Digest|Negotiate)\s+)?(?<secret>[A-Za-z0-9._~+/=-]{8,})/gi,
  },
  { kind: 'token', pattern: /\bBearer\s+(?<secret>[A-Za-z0-9._~+/=-]{16,})/gi },
  // Base64 of user:password; needs a digit, `+`, `/` or `=` so "Basic understanding" stays.
  {
    kind: 'authorization',
    pattern: /\bBasic\s+(?<secret>(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{12,}={0,2})/g,
  },
  {
    kind: 'url_password',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:(?<secret>[^\s@/]+)@/gi,
  },
  {
    kind: 'password',
    pattern: new RegExp(
      `\\b${keyValueNames}["']?\\s*(?:=>|=)\\s*(?<secret>"[^"\\n]*"|'[^'\\n]*'|\`[^\`\\n]*\`|[^\\s,;'"\`<>]+)`,
      'gi',
    ),
  },
  // "secret: x" is also prose ("the secret: be kind"), so an unquoted value needs a non-letter.
  {
    kind: 'password',
    pattern: new RegExp(
      `\\b${keyValueNames}["']?\\s*:\\s*(?<secret>"[^"\\n]*"|'[^'\\n]*'|\`[^\`\\n]*\`|(?=[A-Za-z]*[^A-Za-z\\s.,;!?])[^\\s,;'"\`<>]+)`,
      'gi',
    ),
  },
  // "my password is hunter2": the value needs a non-letter so "password is required" stays.
  {
    kind: 'password',
    pattern: new RegExp(
      `\\b${keyValueNames}\\s+(?:is|was)\\s+(?<secret>(?=[A-Za-z]*[^A-Za-z\\s.,;!?])[^\\s,;]+[^\\s,;.!?])`,
      'gi',
    ),
  },
  // 密码是… / 密码：… / 我的密码abc123: the value needs an ASCII letter, digit or symbol.
  {
    kind: 'password',
    pattern:
      /(?:密码|口令|密钥|令牌|暗号|pin码|PIN码)(?:\s*(?:[:：=]|是|为|就是|改成|改为)\s*|\s*)(?<secret>(?=[^\s，。；、,;！？]*[\x21-\x7e])[^\s，。；、,;！？!?）)]+)/g,
  },
];
