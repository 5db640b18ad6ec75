import { createTenantWorkspace, tenantWorkspacePath } from '../agent/tools/tenant-workspace.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { MnemosError } from '../core/errors.js';
import { limits } from '../core/limits.js';
import type { TenantKey } from '../core/scope.js';
import type { PairingOutcome } from '../messaging/messaging-service.js';
import type { Mnemos } from '../mnemos.js';
import {
  hasSkill,
  helpText,
  memoriesReply,
  parseSlashCommand,
  skillsReply,
} from './chat-commands.js';
import { chatKey } from './chat-key.js';
import { GatewayNotifier } from './gateway-notifier.js';
import { apologyText, pairingText, slowDownText, tooLongText } from './gateway-replies.js';
import { runGatewayTurn } from './gateway-turn.js';
import { startEach } from './load-adapters.js';
import type {
  GatewayAdapter,
  GatewayPlatform,
  InboundMessage,
} from './platform/gateway-adapter.js';
import { saveAttachments } from './save-attachments.js';
import { UserRateLimit } from './user-rate-limit.js';

/** What a gateway is built from. */
export interface GatewayOptions {
  mnemos: Mnemos;
  /** Default the engine's `gateway` section. */
  config?: GatewayConfig;
  /** The platform connections, not yet started. */
  adapters: GatewayAdapter[];
  /** Log lines; never secrets, pairing codes or stack traces. */
  log?: (level: 'info' | 'warn' | 'debug' | 'error', message: string) => void;
  /** How often "typing…" is shown again while a turn runs, ms (platforms drop it after ~5 s). */
  typingIntervalMs?: number;
  /** Largest attachment saved, bytes; default `gateway.attachments.max_file_mb`. */
  maxAttachmentBytes?: number;
  now?: () => number;
}

/** How long an unknown person is not told again about pairing, ms (the pairing resend interval). */
const quietMs = 10 * 60_000;

/**
 * The messaging gateway: each inbound message is authorized (unknown people get a pairing code in
 * DMs, are ignored in groups), checked for a mention in groups and against the per-user rate limit,
 * then answered: a slash command, or an agent turn of the person's tenant in the session bound to
 * the chat, with "typing…" shown meanwhile. Turns of one chat run one at a time.
 */
export class Gateway {
  readonly config: GatewayConfig;
  private readonly running = new Map<GatewayPlatform, GatewayAdapter>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly rate: UserRateLimit;
  private readonly log: NonNullable<GatewayOptions['log']>;
  private ready: Promise<void> = Promise.resolve();
  /** People told about pairing lately, until when they are not told again. */
  private readonly told = new Map<string, number>();

  constructor(private readonly options: GatewayOptions) {
    this.config = options.config ?? options.mnemos.config.gateway;
    this.rate = new UserRateLimit(this.config.rate_limit.per_user_per_minute, options.now);
    this.log = options.log ?? (() => {});
  }

  /** Starts every adapter; one failing to start is a warning while another runs, else its error. */
  async start(): Promise<void> {
    let release = (): void => {};
    this.ready = new Promise((resolve) => {
      release = resolve;
    });
    try {
      const started = await startEach(this.options.adapters, (message) => this.handle(message), {
        log: (level, message) => this.log(level, message),
        register: (adapter) => this.running.set(adapter.platform, adapter),
        unregister: (adapter) => this.running.delete(adapter.platform),
      });
      this.log(
        'info',
        `gateway: running on ${started.map((a) => a.platform).join(', ') || 'no platform'}`,
      );
    } finally {
      release();
    }
  }

  /** Platforms connected now. */
  get platforms(): GatewayPlatform[] {
    return [...this.running.keys()];
  }

  /** The notifier over the running adapters (cron delivery). */
  notifier(): GatewayNotifier {
    return new GatewayNotifier(this.config, (platform) => this.running.get(platform));
  }

  /** Stops every adapter once the turns under way are answered. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
    const adapters = [...this.running.values()];
    this.running.clear();
    for (const adapter of adapters) {
      await adapter.stop().catch((error: unknown) => {
        this.log('warn', `gateway: ${adapter.platform} did not stop cleanly: ${message(error)}`);
      });
    }
  }

  /**
   * The pipeline of one inbound message; resolves once it is answered and never throws (failures
   * are logged and apologised for). Adapters need not wait for it before reading the next message:
   * messages of one chat queue here.
   */
  async handle(inbound: InboundMessage): Promise<void> {
    await this.ready;
    try {
      await this.pipeline(inbound);
    } catch (error) {
      this.log('error', `gateway: ${inbound.platform} message failed: ${message(error)}`);
      await this.reply(inbound, apologyText).catch(() => {});
    }
  }

  private async pipeline(inbound: InboundMessage): Promise<void> {
    const mnemos = this.options.mnemos;
    const who = `${inbound.platform}:${inbound.userId}`;
    const dm = inbound.chatType === 'dm';
    const mayPair = dm && (inbound.platform !== 'email' || this.config.platforms.email.pairing);
    const verdict = await mnemos.messaging.authorize(
      {
        platform: inbound.platform,
        userId: inbound.userId,
        chatId: inbound.chatId,
        userName: inbound.userName,
      },
      this.config,
      { pairing: mayPair },
    );
    if ('denied' in verdict) {
      this.log('debug', `gateway: ignored a message from ${who} (not allowed)`);
      return;
    }
    if ('pairing' in verdict) {
      if (!this.shouldTell(who, verdict.pairing)) return;
      this.log('info', `gateway: pairing ${verdict.pairing.status} for ${who}`);
      await this.reply(inbound, pairingText(verdict.pairing, this.config.pairing.code_ttl_minutes));
      return;
    }
    if (!dm && !this.groupAllowed(inbound)) return;
    const rate = this.rate.check(who);
    if (rate === 'drop') return;
    if (rate === 'warn') {
      await this.reply(inbound, slowDownText);
      return;
    }
    await this.inChat(verdict.tenant, inbound, () => this.answer(verdict.tenant, inbound));
  }

  /** A group message is answered only in a listed chat (when a list is set) and, if asked, when mentioned. */
  private groupAllowed(inbound: InboundMessage): boolean {
    const platform = this.config.platforms[inbound.platform];
    const chats =
      'allowed_chats' in platform
        ? platform.allowed_chats
        : 'allowed_channels' in platform
          ? platform.allowed_channels
          : [];
    if (chats.length > 0 && !chats.includes(inbound.chatId)) return false;
    return !('require_mention' in platform && platform.require_mention) || inbound.mentioned;
  }

  /** Whether to answer a pairing outcome: "already sent" and "busy" once per ten minutes per person. */
  private shouldTell(who: string, outcome: PairingOutcome): boolean {
    const now = (this.options.now ?? Date.now)();
    for (const [person, until] of this.told) if (until <= now) this.told.delete(person);
    if (outcome.status === 'new') {
      this.told.delete(who);
      return true;
    }
    if (this.told.has(who)) return false;
    this.told.set(who, now + quietMs);
    return true;
  }

  /** Runs `work` after the earlier messages of the same chat (and tenant) are answered. */
  private inChat(
    tenant: TenantKey,
    inbound: InboundMessage,
    work: () => Promise<void>,
  ): Promise<void> {
    const key = `${tenant.appId}\u0000${tenant.tenantId}\u0000${chatKey(inbound)}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  private async answer(tenant: TenantKey, inbound: InboundMessage): Promise<void> {
    const mnemos = this.options.mnemos;
    // The same bound as a message over HTTP: a pasted book or a huge mail is refused, not billed.
    if (inbound.text.length > limits.maxCharacters) {
      await this.reply(inbound, tooLongText(inbound.text.length, limits.maxCharacters));
      return;
    }
    const command = parseSlashCommand(inbound.text);
    let text = inbound.text;
    let preloadSkills: string[] | undefined;
    if (command) {
      switch (command.name) {
        case 'new':
        case 'reset':
          await this.newSession(tenant, inbound);
          await this.reply(inbound, 'Started a new conversation.');
          return;
        case 'memories':
          await this.reply(inbound, await memoriesReply(mnemos, tenant, command.args));
          return;
        case 'whoami':
          await this.reply(
            inbound,
            `You are ${inbound.platform}:${inbound.userId}, tenant ${tenant.tenantId} (app ${tenant.appId}).`,
          );
          return;
        case 'help':
        case 'start':
          await this.reply(inbound, helpText);
          return;
        case 'skills':
          await this.reply(inbound, await skillsReply(mnemos, tenant));
          return;
        default:
          if (!(await hasSkill(mnemos, tenant, command.name))) {
            await this.reply(
              inbound,
              `Unknown command /${command.name}. Send /help for the commands.`,
            );
            return;
          }
          preloadSkills = [command.name];
          text = command.args || `Use the ${command.name} skill.`;
      }
    }
    const sessionId =
      (await this.liveBoundSession(tenant, inbound)) ?? (await this.newSession(tenant, inbound));
    const notes = await this.attachments(tenant, inbound);
    const turnText = [text, ...notes].filter((part) => part !== '').join('\n\n');
    const stopTyping = this.typing(inbound);
    let reply: string;
    try {
      reply = await runGatewayTurn(mnemos, {
        tenant,
        sessionId,
        agentName: this.config.agent,
        platform: inbound.platform,
        text: turnText || '(empty message)',
        ...(preloadSkills ? { preloadSkills } : {}),
      });
    } finally {
      stopTyping();
    }
    await this.reply(inbound, reply.trim() === '' ? '(no answer)' : reply);
  }

  /** The chat's session, unless it is gone (deleted, or expired by `session_cleanup`). */
  private async liveBoundSession(
    tenant: TenantKey,
    inbound: InboundMessage,
  ): Promise<string | null> {
    const mnemos = this.options.mnemos;
    const bound = await mnemos.messaging.boundSession(tenant, chatKey(inbound));
    if (bound === null) return null;
    try {
      await mnemos.sessions.get(tenant, bound);
      return bound;
    } catch (error) {
      if (MnemosError.isInstance(error) && error.code === 'not_found') return null;
      throw error;
    }
  }

  /** Starts a session of the tenant for this chat and binds the chat to it; returns its id. */
  private async newSession(tenant: TenantKey, inbound: InboundMessage): Promise<string> {
    const mnemos = this.options.mnemos;
    const key = chatKey(inbound);
    const session = await mnemos.sessions.create(
      { ...tenant, agentId: this.config.agent ?? mnemos.config.agent_id },
      {
        title: `${inbound.platform} ${inbound.chatType}`,
        metadata: { platform: inbound.platform, chat: key.slice(0, 1_000) },
      },
    );
    await mnemos.messaging.bindSession(tenant, key, inbound.platform, session.id);
    return session.id;
  }

  private async attachments(tenant: TenantKey, inbound: InboundMessage): Promise<string[]> {
    if (inbound.attachments.length === 0) return [];
    const mnemos = this.options.mnemos;
    const sandbox = mnemos.config.agent.sandbox;
    const owner = process.getuid?.() === 0 ? { uid: sandbox.uid, gid: sandbox.gid } : undefined;
    const workspace = createTenantWorkspace(
      tenantWorkspacePath(mnemos.home, tenant.appId, tenant.tenantId),
      owner,
    );
    return saveAttachments(
      inbound.attachments,
      {
        workspace,
        owner,
        maxBytes:
          this.options.maxAttachmentBytes ??
          Math.floor(this.config.attachments.max_file_mb * 1024 * 1024),
        maxTotalBytes: Math.floor(this.config.attachments.max_total_mb * 1024 * 1024),
      },
      (line) => this.log('warn', `gateway: ${line}`),
    );
  }

  /** Shows "typing…" now and every few seconds until the returned function is called. */
  private typing(inbound: InboundMessage): () => void {
    const adapter = this.running.get(inbound.platform);
    if (!adapter) return () => {};
    const show = (): void => {
      adapter.typing(inbound.chatId, inbound.threadId).catch((error: unknown) => {
        this.log('debug', `gateway: typing on ${inbound.platform} failed: ${message(error)}`);
      });
    };
    show();
    const timer = setInterval(show, this.options.typingIntervalMs ?? 4_000);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async reply(inbound: InboundMessage, text: string): Promise<void> {
    const adapter = this.running.get(inbound.platform);
    if (!adapter) throw new Error(`${inbound.platform} is not running`);
    await adapter.send({
      chatId: inbound.chatId,
      threadId: inbound.threadId,
      text,
      replyTo: inbound,
    });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
