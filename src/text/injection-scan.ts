/** What kind of threat a curated note carries. */
export type ThreatCategory = 'injection' | 'exfiltration' | 'secret' | 'hidden_text';

/** The first threat found in a text, with a stable id for logs and tests. */
export interface ThreatFinding {
  id: string;
  category: ThreatCategory;
}

/** Bounded filler between key words: up to six words, never an unbounded backtracking run. */
const w = String.raw`(?:[\w'’-]+\s+){0,6}`;
/** Bounded filler between Chinese key words: a few characters, not across punctuation. */
const zh = '[^\\n。！？!?，,；;：:]{0,8}';
/** "ignore", "disregard" and friends, the verbs of instruction overrides. */
const override = String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+${w}`;

/** Zero-width and bidi control characters used to hide text; ZWJ/ZWNJ stay allowed (emoji, Persian). */
const hiddenCharacters = /[\u200B\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069]/;

/** Patterns over NFKC-normalised text, in the order they are reported. */
const patterns: ReadonlyArray<readonly [string, ThreatCategory, RegExp]> = [
  [
    'ignore_instructions',
    'injection',
    new RegExp(
      String.raw`${override}(?:(?:previous|prior|above|earlier|preceding|original|initial|system|developer)\s+${w}(?:instructions?|prompts?|directives|rules|guidelines)|(?:all|any|your)\s+${w}(?:instructions|prompts|directives|guardrails))\b`,
      'i',
    ),
  ],
  ['disregard_system_prompt', 'injection', new RegExp(String.raw`${override}system\s+prompt`, 'i')],
  [
    'system_prompt_override',
    'injection',
    /\b(?:new|updated|real)\s+system\s+(?:prompt|instructions?)\s*:|system\s+prompt\s+override/i,
  ],
  [
    'role_hijack',
    'injection',
    new RegExp(
      String.raw`\byou(?:\s+are|['’]re)\s+${w}now\s+(?:a|an|the|my|in|dan|no\s+longer|free|unrestricted|jailbroken|uncensored)\b`,
      'i',
    ),
  ],
  [
    'role_pretend',
    'injection',
    new RegExp(String.raw`\bpretend\s+${w}(?:you\s+are|you['’]re|to\s+be)\b`, 'i'),
  ],
  [
    'remove_restrictions',
    'injection',
    new RegExp(
      String.raw`\b(?:act|respond|answer|reply)\s+${w}(?:as\s+if|without)\s+${w}(?:restrictions|limitations|limits|filters|guardrails|safety\s+(?:rules|guidelines|filters))\b`,
      'i',
    ),
  ],
  [
    'hide_from_user',
    'injection',
    new RegExp(String.raw`\b(?:do\s+not|don['’]t|never)\s+${w}tell\s+the\s+user\b`, 'i'),
  ],
  [
    'leak_system_prompt',
    'exfiltration',
    new RegExp(
      String.raw`\b(?:reveal|print|output|repeat|leak|dump|show)\s+${w}(?:system|initial|hidden)\s+(?:prompt|instructions)`,
      'i',
    ),
  ],
  [
    'control_tokens',
    'injection',
    /<\|[a-z_]+\|>|<\/?(?:system|assistant|memory-context)>|\[(?:system|inst)\]/i,
  ],
  [
    'zh_ignore_instructions',
    'injection',
    new RegExp(
      `(?:忽略|无视|忽视|不要理会|不用理会|别管|忘记|忘掉|抛开|绕过)${zh}(?:之前|以前|先前|上面|以上|前面|上述|所有|全部|原有|原来|系统)${zh}(?:指令|指示|提示词|提示|规则|命令|设定|约束)`,
    ),
  ],
  [
    'zh_role_hijack',
    'injection',
    /你现在是|从现在(?:开始|起)[，,\s]*你(?:是|将是|就是)|你的新(?:身份|角色)是|假装你是/,
  ],
  ['zh_hide_from_user', 'injection', new RegExp(`(?:不要|别|切勿)${zh}(?:告诉|告知|透露给)用户`)],
  [
    'zh_leak_system_prompt',
    'exfiltration',
    new RegExp(`(?:输出|泄露|打印|显示|透露|复述)${zh}(?:系统提示|系统指令|初始指令)`),
  ],
  [
    'exfil_command',
    'exfiltration',
    /\b(?:curl|wget|invoke-webrequest)\b[^\n]{0,400}(?:\$\{?\w*(?:key|token|secret|password|credential)s?\b|@\S*(?:\.env|\.ssh|id_rsa|id_ed25519|credentials|\.netrc)\b)/i,
  ],
  ['markdown_beacon', 'exfiltration', /!\[[^\]\n]*\]\(\s*https?:\/\/[^)\s]*[?&][^)\s]*=/i],
  [
    'ssh_backdoor',
    'exfiltration',
    /\b(?:add|append|write|echo|insert)\b[^\n]{0,200}authorized_keys/i,
  ],
  ['private_key', 'secret', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/],
  ['openai_style_key', 'secret', /\bsk-[A-Za-z0-9_-]{16,}/],
  ['aws_access_key', 'secret', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['github_token', 'secret', /\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}/],
  ['slack_token', 'secret', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['google_api_key', 'secret', /\bAIza[0-9A-Za-z_-]{35}/],
  ['bearer_token', 'secret', /\bbearer\s+[A-Za-z0-9._~+/-]{20,}/i],
  [
    'password_value',
    'secret',
    /\b(?:password|passwd|pwd|passphrase)\s*[=:]\s*\S{3,}|(?:密码|口令)\s*(?:[=:：]|是|为)\s*\S{3,}/i,
  ],
  [
    'secret_value',
    'secret',
    /\b(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?(?:key|token)|auth[_-]?token|client[_-]?secret|token)\s*[=:]\s*['"]?[A-Za-z0-9+/_.=-]{16,}/i,
  ],
];

/**
 * Imperative verbs of sending, sensitive data and a URL on one line mean "send this data there".
 * Only base forms count, so descriptions such as "the user posts notes to https://…" pass.
 */
const sendVerb =
  /\b(?:send|post|upload|forward|transmit|exfiltrate|leak|sync)\b|发送|发到|发给|上传|转发|提交到|传到|传送|同步到/i;
const sensitiveData =
  /\b(?:conversations?|chats?|chat\s+history|messages|memor(?:y|ies)|secrets?|keys|api\s+keys?|tokens?|credentials?|passwords?|env(?:ironment)?(?:\s+variables)?|context|system\s+prompt|personal\s+data|user\s+data)\b|对话|聊天记录|记忆|密钥|密码|令牌|凭证|凭据|上下文|系统提示|个人信息|用户数据/i;
const url = /\b(?:https?|ftp):\/\//i;

/**
 * Looks for prompt injection, exfiltration and embedded secrets in a text headed for the system
 * prompt; returns the first finding or null. Text is NFKC-normalised (full-width letters fold to
 * ASCII); hidden characters are checked on the raw text, since NFKC may drop them.
 */
export function scanForThreats(text: string): ThreatFinding | null {
  if (hiddenCharacters.test(text)) return { id: 'hidden_characters', category: 'hidden_text' };
  const normalised = text.normalize('NFKC');
  for (const [id, category, pattern] of patterns) {
    if (pattern.test(normalised)) return { id, category };
  }
  for (const line of normalised.split('\n')) {
    if (url.test(line) && sendVerb.test(line) && sensitiveData.test(line)) {
      return { id: 'send_data_to_url', category: 'exfiltration' };
    }
  }
  return null;
}

const explanations: Record<ThreatCategory, string> = {
  injection: 'it reads like an instruction that tries to override your rules (prompt injection)',
  exfiltration: 'it asks to send data or the prompt somewhere else (exfiltration)',
  secret:
    'it contains a secret value; note where the secret is kept (e.g. "API key is in ~/.config/x/env"), never the value',
  hidden_text: 'it contains invisible or bidi control characters that can hide text',
};

/** The refusal the model sees when a note is rejected by the scan. */
export function threatRefusal(finding: ThreatFinding): string {
  return `Refused (${finding.id}): ${explanations[finding.category]}. Curated notes go into every future system prompt, so they must state facts in neutral words. Nothing was saved.`;
}
