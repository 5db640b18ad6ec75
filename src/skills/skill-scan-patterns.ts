/** What a skill-specific pattern finds; also the categories of `SkillFinding`. */
export type SkillThreatCategory =
  | 'injection'
  | 'exfiltration'
  | 'destructive'
  | 'persistence'
  | 'network'
  | 'obfuscation'
  | 'traversal'
  | 'hidden_text'
  | 'secret'
  | 'binary'
  | 'limits';

/** How bad a finding is: `dangerous` blocks an install, `caution` needs a trusted source or --force. */
export type SkillSeverity = 'caution' | 'dangerous';

/** One line pattern of the skill scan. */
export interface SkillPattern {
  id: string;
  category: SkillThreatCategory;
  severity: SkillSeverity;
  pattern: RegExp;
  /** A second pattern the same line must also match (order free), instead of a long bounded gap. */
  alsoNeeds?: RegExp;
}

// Every repetition below is bounded ({0,N}) or over a class that cannot overlap its neighbour, so a
// hostile 256 KB line costs linear time; the scan is a guardrail in front of review, not the wall.

/** Files that hold private keys or credentials (public `.pub` keys and ssh `config` excluded). */
const privatePath = String.raw`(?:(?:~|\$HOME|\$\{HOME\}|/root|/home/[\w.-]{1,32})/\.ssh(?=[\s'"\x60;|&)>]|/?$|/\*)|\bid_(?:rsa|dsa|ecdsa|ed25519)(?![\w.])|\.ssh/identity\b|\.aws/credentials\b|/etc/(?:shadow|gshadow|sudoers)\b|\.netrc\b|\.git-credentials\b|\.gnupg\b|\.kube/config\b|\.docker/config\.json\b|\.config/gcloud\b|\.npmrc\b|\.pypirc\b)`;
/** Any secret-bearing file, including a plain `.env` (not `.env.example`). */
const secretPath = String.raw`(?:${privatePath}|(?:^|[\s'"=@/(])\.env(?![\w.-]))`;
const reader = String.raw`\b(?:cat|less|more|head|tail|base64|xxd|od|strings|cp|scp|rsync|tar|zip|read_text|read_bytes|readFile(?:Sync)?|Get-Content)\b|\bopen\s{0,3}\(`;
const uploader = String.raw`\b(?:curl|wget|http|https|httpie|nc|ncat|netcat|socat|scp|rsync|ftp|sftp|requests\.(?:post|put)|fetch|axios\.(?:post|put)|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b`;
// An interpreter given its program inline (`python3 -c "…"`, `node -e`, `sh -c`) reads the
// download as data, which is how skills parse JSON; without such a flag it runs the download.
const shell = String.raw`(?:sudo\s+(?:-\S{1,20}\s+){0,3})?(?:(?:ba|z|da|k|c|tc|fi)?sh\b(?!\s{1,5}-c\b)|(?:python[0-9.]{0,4}|perl|ruby|node|php)\b(?!\s{1,5}-[a-zA-Z])|iex\b|invoke-expression\b)`;
const home = String.raw`(?:~|\$HOME|\$\{HOME\})`;
const rmFlags = String.raw`(?:-{1,2}[a-zA-Z-]{1,20}\s+){0,4}`;
const rmTarget = String.raw`(?:/\*?|${home}/?\*?|/(?:bin|boot|dev|etc|home|lib|lib64|opt|root|sbin|srv|usr|var)/?\*?)`;

/** Skill-specific patterns, checked on every line after NFKC folding and hidden-character removal. */
export const skillPatterns: readonly SkillPattern[] = [
  // Exfiltration: reading private files, or sending secrets out.
  {
    id: 'read_private_file',
    category: 'exfiltration',
    severity: 'dangerous',
    pattern: new RegExp(privatePath, 'i'),
    alsoNeeds: new RegExp(reader, 'i'),
  },
  {
    // A `.env` is printed in many setup guides; it is worth a look, not a block.
    id: 'read_env_file',
    category: 'exfiltration',
    severity: 'caution',
    pattern: new RegExp(
      String.raw`(?:${reader})\s{1,5}(?:[^\s/]{0,100}/){0,10}\.env(?![\w.-])`,
      'i',
    ),
  },
  {
    id: 'secret_file_network',
    category: 'exfiltration',
    severity: 'dangerous',
    pattern: new RegExp(secretPath, 'i'),
    alsoNeeds: new RegExp(String.raw`${uploader}|\b(?:https?|ftp)://`, 'i'),
  },
  {
    id: 'send_secret_file',
    category: 'exfiltration',
    severity: 'dangerous',
    pattern: new RegExp(secretPath, 'i'),
    alsoNeeds: /\b(?:send|upload|post|forward|transmit|exfiltrate|leak)\b/i,
  },
  {
    id: 'upload_command_substitution',
    category: 'exfiltration',
    severity: 'dangerous',
    pattern: /(?:\$\(|`)\s{0,5}(?:cat|base64|env|printenv|history|tar|gzip)\b/i,
    alsoNeeds: /\b(?:curl|wget)\b/i,
  },
  {
    id: 'pipe_to_netcat',
    category: 'exfiltration',
    severity: 'dangerous',
    pattern: /\|\s{0,5}(?:nc|ncat|netcat|socat|telnet)\s+[\w.:-]|\/dev\/(?:tcp|udp)\/[\w.-]/i,
  },
  {
    // Posting a local file is everyday API use; worth a look when the file is unknown.
    id: 'upload_file',
    category: 'network',
    severity: 'caution',
    pattern:
      /\bcurl\b[^\n]{0,400}?(?:\s(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form)\s{1,5}['"]?(?:[\w-]{1,40}=)?@[^\s'"]|\s(?:-T|--upload-file)\s{1,5}\S)/i,
  },
  // Destructive commands.
  {
    id: 'rm_root_or_home',
    category: 'destructive',
    severity: 'dangerous',
    pattern: new RegExp(
      String.raw`\brm\s+${rmFlags}(?:-[a-zA-Z]{0,5}[rR][a-zA-Z]{0,5}|--recursive)\s+${rmFlags}['"]?${rmTarget}['"]?(?=\s|$|[;&|)\x60])`,
    ),
  },
  {
    id: 'make_filesystem',
    category: 'destructive',
    severity: 'dangerous',
    pattern: /\bmkfs(?:\.\w{1,10})?\s|\bwipefs\s|\bformat\s+[a-z]:/i,
  },
  {
    id: 'write_raw_device',
    category: 'destructive',
    severity: 'dangerous',
    pattern:
      /\bdd\b[^\n]{0,200}?\bof=\/dev\/(?!null\b|zero\b|stdout\b|stderr\b)|>\s{0,5}\/dev\/(?:sd[a-z]|nvme\d|hd[a-z]|disk\d|mmcblk\d)/,
  },
  {
    id: 'fork_bomb',
    category: 'destructive',
    severity: 'dangerous',
    pattern: /:\(\)\s{0,5}\{\s{0,5}:\s{0,5}\|\s{0,5}:\s{0,5}&\s{0,5}\}\s{0,5};\s{0,5}:/,
  },
  {
    id: 'chmod_777_root',
    category: 'destructive',
    severity: 'dangerous',
    pattern: new RegExp(
      String.raw`\bchmod\s+(?:-{1,2}[a-zA-Z]{1,10}\s+){0,3}0?777\s+(?:/|${home}/?)(?=\s|$|[;&|\x60'"])|\bchmod\s+(?:-[a-zA-Z]{0,5}R[a-zA-Z]{0,5}|--recursive)\s+(?:-{1,2}[a-zA-Z]{1,10}\s+){0,2}[0-7]{3,4}\s+/(?=\s|$|[;&|\x60'"])`,
    ),
  },
  // Persistence: surviving the session.
  {
    id: 'crontab_edit',
    category: 'persistence',
    severity: 'caution',
    pattern: /\bcrontab\s+(?!-l\b)\S|\|\s{0,5}crontab\b|\/etc\/cron\.|\/var\/spool\/cron/,
  },
  {
    id: 'shell_profile_write',
    category: 'persistence',
    severity: 'caution',
    pattern: new RegExp(
      String.raw`(?:>>?|\btee\s+(?:-a\s+)?)\s{0,5}['"]?${home}/\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zshenv|config/fish/config\.fish)\b`,
    ),
  },
  {
    id: 'authorized_keys',
    category: 'persistence',
    severity: 'caution',
    pattern: /authorized_keys/,
  },
  {
    // Appending one real public key is a backdoor for whoever holds the private half.
    id: 'authorized_keys_literal',
    category: 'persistence',
    severity: 'dangerous',
    pattern: /(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-[\w-]{1,20}) AAAA[0-9A-Za-z+/]{60}/,
    alsoNeeds: /authorized_keys/,
  },
  {
    id: 'autostart_service',
    category: 'persistence',
    severity: 'caution',
    pattern:
      /\bsystemctl\s+(?:--user\s+)?enable\b|\blaunchctl\s+(?:load|bootstrap)\b|\/etc\/rc\.local\b|\bschtasks\s+\/create\b|\/Library\/LaunchAgents\//i,
  },
  // Running code fetched from the network.
  {
    id: 'pipe_download_to_shell',
    category: 'network',
    severity: 'dangerous',
    pattern: new RegExp(
      String.raw`\b(?:curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n|]{0,400}\|\s{0,5}(?:${shell})|\b(?:(?:ba|z)?sh|python[0-9.]{0,4}|source)\s+(?:-c\s+)?['"]?(?:<\(|\$\()\s{0,5}(?:curl|wget)\b|\b(?:iex|invoke-expression)\b[^\n]{0,100}?\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b`,
      'i',
    ),
  },
  // Obfuscation: hiding what runs.
  {
    // Decoding and running a payload has no honest use in a skill, so it blocks.
    id: 'decode_and_execute',
    category: 'obfuscation',
    severity: 'dangerous',
    pattern: new RegExp(
      String.raw`\bbase64\s+(?:-d|--decode|-D)\b[^\n|]{0,200}\|\s{0,5}(?:${shell})|\b(?:exec|eval)\s{0,5}\(\s{0,5}(?:base64\.b64decode|atob|zlib\.decompress|codecs\.decode|bytes\.fromhex|Buffer\.from)\b`,
      'i',
    ),
  },
  {
    id: 'eval_command_output',
    category: 'obfuscation',
    severity: 'caution',
    pattern: /\beval\s{1,5}["']?\$\(|\beval\s{1,5}`/,
  },
  {
    id: 'long_base64_blob',
    category: 'obfuscation',
    severity: 'caution',
    pattern: /[A-Za-z0-9+/]{200}/,
  },
  {
    id: 'hex_escape_blob',
    category: 'obfuscation',
    severity: 'caution',
    pattern: /(?:\\x[0-9a-fA-F]{2}){20}/,
  },
  {
    id: 'deep_parent_path',
    category: 'traversal',
    severity: 'caution',
    pattern: /(?:\.\.[/\\]){3}/,
  },
];
