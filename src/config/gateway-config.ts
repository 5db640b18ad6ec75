import { z } from 'zod';

/** Name of an environment variable (set in the environment or in `.env`). */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

/** Platform ids (users, chats, channels, guilds) as strings; numbers in YAML are accepted. */
const platformId = z.union([z.string().min(1), z.number().int()]).transform(String);

/** What every platform block shares: on/off, who may talk, where notifications go. */
const platformBase = {
  enabled: z.boolean().default(false),
  /** Platform user ids allowed to talk to the agent (deny-all when empty and pairing is off). */
  allowed_users: z.array(platformId).default([]),
  /** Chat where cron results and notifications go when a target names only the platform. */
  home_chat: platformId.optional(),
};

/** Telegram (grammY, long polling). */
const telegramSchema = z
  .object({
    ...platformBase,
    token_env: envName.default('TELEGRAM_BOT_TOKEN'),
    /** Bot API root without a trailing slash (a local Bot API server, or a test's fake). */
    api_root: z.string().url().default('https://api.telegram.org'),
    /** Group chats the bot answers in (besides DMs of allowed users). */
    allowed_chats: z.array(platformId).default([]),
    /** In groups, answer only when mentioned or replied to. */
    require_mention: z.boolean().default(true),
    /** Seconds one `getUpdates` long poll waits for a message before it is asked again. */
    poll_timeout_s: z.number().int().min(1).max(50).default(30),
  })
  .strict();

/** Slack (Bolt: Socket Mode, or HTTP events on `mnemos serve`). */
const slackSchema = z
  .object({
    ...platformBase,
    mode: z.enum(['socket', 'http']).default('socket'),
    bot_token_env: envName.default('SLACK_BOT_TOKEN'),
    /** App-level token (`xapp-…`), Socket Mode only. */
    app_token_env: envName.default('SLACK_APP_TOKEN'),
    /** Signing secret, HTTP mode only. */
    signing_secret_env: envName.default('SLACK_SIGNING_SECRET'),
    /** Web API root with its trailing slash. */
    api_url: z.string().url().default('https://slack.com/api/'),
    /** HTTP mode: port the events endpoint (`/slack/events`) listens on. */
    port: z.number().int().min(1).max(65_535).default(3_000),
    allowed_channels: z.array(platformId).default([]),
    require_mention: z.boolean().default(true),
    /** Web API retries of a failed or rate-limited call (429 waits its `Retry-After` first). */
    max_retries: z.number().int().min(0).max(10).default(3),
    /** First delay between Web API retries, doubling after each. */
    retry_delay_ms: z.number().int().min(0).max(60_000).default(1_000),
  })
  .strict();

/** Discord (discord.js; needs the Message Content intent). */
const discordSchema = z
  .object({
    ...platformBase,
    token_env: envName.default('DISCORD_BOT_TOKEN'),
    /** REST root (discord.js `rest.api`), e.g. `https://discord.com/api`. */
    api_url: z.string().url().default('https://discord.com/api'),
    allowed_guilds: z.array(platformId).default([]),
    allowed_channels: z.array(platformId).default([]),
    require_mention: z.boolean().default(true),
  })
  .strict();

/** Email: IMAP to read (imapflow), SMTP to send (nodemailer). */
const emailSchema = z
  .object({
    ...platformBase,
    /** The agent's own address. */
    address: z.string().email().optional(),
    /** Login for IMAP and SMTP; default `address`. */
    username: z.string().min(1).optional(),
    password_env: envName.default('EMAIL_PASSWORD'),
    imap: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65_535).default(993),
        secure: z.boolean().default(true),
        mailbox: z.string().min(1).default('INBOX'),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65_535).default(587),
        secure: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Seconds between IMAP checks when the server offers no IDLE. */
    poll_interval_s: z.number().int().min(1).max(3_600).default(15),
    /** Accept self-signed certificates (local servers only). */
    tls_reject_unauthorized: z.boolean().default(true),
    /** Unknown senders get a pairing code by mail (off: they are ignored). */
    pairing: z.boolean().default(false),
  })
  .strict();

/** A rule choosing where an outgoing notification goes. */
const routeSchema = z
  .object({
    /** Match: `urgent` notifications, and/or a regular expression over the title or text. */
    when: z
      .object({ urgent: z.boolean().optional(), matches: z.string().min(1).optional() })
      .strict()
      .default({}),
    /** Target: `telegram:<chat>`, `slack:<channel>`, `discord:<channel>`, `email:<addr>`, a bare platform (its `home_chat`), or `all`. */
    to: z.string().min(1),
  })
  .strict();

/** The messaging gateway (`gateway:` in config.yaml, or the whole of `<home>/gateway.yaml`). */
export const gatewayConfigSchema = z
  .object({
    /** Run the gateway inside `mnemos serve` (`mnemos gateway run` runs it regardless). */
    enabled: z.boolean().default(false),
    /** Agent definition (`agents/<name>.yaml`) answering chat messages; default the configured agent. */
    agent: z.string().min(1).optional(),
    /** Application of gateway users' tenants; default config `app_id`. */
    app_id: z.string().min(1).optional(),
    /** `platform:id` entries allowed on every platform. */
    allowed_users: z.array(z.string().min(3)).default([]),
    /** Let anyone talk to the agent (never the default). */
    allow_all_users: z.boolean().default(false),
    /** People by tenant id: their `platform:id` accounts share one memory, skills and sessions. */
    identities: z.record(z.string().min(1), z.array(z.string().min(3))).default({}),
    pairing: z
      .object({
        enabled: z.boolean().default(true),
        code_ttl_minutes: z.number().int().min(1).max(1_440).default(60),
        max_pending: z.number().int().min(1).max(100).default(3),
      })
      .strict()
      .prefault({}),
    rate_limit: z
      .object({
        /** Messages one user may send per minute before being told to wait. */
        per_user_per_minute: z.number().int().min(1).max(1_000).default(10),
      })
      .strict()
      .prefault({}),
    /** Files people send: kept in their tenant's workspace under `attachments/`. */
    attachments: z
      .object({
        /** Largest file saved, MB. */
        max_file_mb: z.number().min(0.001).max(1_024).default(20),
        /** Most all of one tenant's saved attachments may take together, MB. */
        max_total_mb: z.number().min(0.001).max(102_400).default(500),
      })
      .strict()
      .prefault({}),
    /** Outgoing notification routing (cron delivery), first match wins. */
    routes: z.array(routeSchema).default([]),
    platforms: z
      .object({
        telegram: telegramSchema.prefault({}),
        slack: slackSchema.prefault({}),
        discord: discordSchema.prefault({}),
        email: emailSchema.prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The gateway's configuration, defaults filled in. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
