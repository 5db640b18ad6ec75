import type {
  GatewayAdapter,
  GatewayPlatform,
  InboundAttachment,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
} from '../../src/gateway/platform/gateway-adapter.js';

/** An in-process adapter: the test pushes inbound messages and reads what the gateway sent. */
export class LoopbackAdapter implements GatewayAdapter {
  /** Everything sent, in order. */
  readonly sent: OutboundMessage[] = [];
  /** Chats "typing…" was shown in, one entry per call. */
  readonly typed: string[] = [];
  started = false;
  stopped = false;
  private handler: InboundHandler | null = null;
  private counter = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    readonly platform: GatewayPlatform = 'telegram',
    private readonly failStart = false,
  ) {}

  async start(handler: InboundHandler): Promise<void> {
    if (this.failStart) throw new Error('cannot connect');
    this.handler = handler;
    this.started = true;
  }

  async send(message: OutboundMessage): Promise<string[]> {
    this.sent.push(message);
    for (const waiter of this.waiters.filter((entry) => this.sent.length >= entry.count)) {
      waiter.resolve();
    }
    this.waiters = this.waiters.filter((entry) => this.sent.length < entry.count);
    return [`sent-${this.sent.length}`];
  }

  async typing(chatId: string): Promise<void> {
    this.typed.push(chatId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** Delivers a message to the gateway as the platform would, and waits for the pipeline. */
  async push(partial: Partial<InboundMessage> & { userId: string; text: string }): Promise<void> {
    if (!this.handler) throw new Error('adapter not started');
    this.counter += 1;
    await this.handler(this.message(partial));
  }

  /** A full inbound message: a DM from `userId` unless told otherwise. */
  message(partial: Partial<InboundMessage> & { userId: string; text: string }): InboundMessage {
    return {
      platform: this.platform,
      userName: null,
      chatId: partial.chatId ?? `dm-${partial.userId}`,
      threadId: null,
      chatType: 'dm',
      messageId: `m${this.counter}`,
      mentioned: false,
      attachments: [],
      context: {},
      ...partial,
    };
  }

  /** Resolves once `count` messages have been sent in all. */
  waitForSent(count: number): Promise<void> {
    if (this.sent.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Texts sent so far. */
  get texts(): string[] {
    return this.sent.map((message) => message.text);
  }
}

/** An attachment whose bytes are in memory. */
export function memoryAttachment(
  name: string,
  bytes: Uint8Array,
  mimeType = 'text/plain',
): InboundAttachment {
  return {
    name,
    mimeType,
    size: bytes.byteLength,
    fetch: async (maxBytes) => {
      if (bytes.byteLength > maxBytes) throw new Error('too large');
      return bytes;
    },
  };
}
