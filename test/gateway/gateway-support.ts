import type { GatewayConfig } from '../../src/config/gateway-config.js';
import { gatewayConfigSchema } from '../../src/config/gateway-config.js';
import { Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { Mnemos } from '../../src/mnemos.js';
import { LoopbackAdapter } from '../support/loopback-adapter.js';
import type { ModelServer } from '../support/model-server.js';

/** A gateway config from its YAML-shaped settings, defaults filled in. */
export function gatewayConfig(raw: Record<string, unknown> = {}): GatewayConfig {
  return gatewayConfigSchema.parse(raw);
}

/** An engine over a temp home whose chat model is the scripted server. */
export async function openEngine(
  home: string,
  server: ModelServer,
  config: Record<string, unknown> = {},
): Promise<Mnemos> {
  return Mnemos.open({
    home,
    config: {
      extractor: 'passthrough',
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      ...config,
    },
  });
}

/** A started gateway over loopback adapters of the given platforms. */
export async function startGateway(
  mnemos: Mnemos,
  config: GatewayConfig,
  platforms: Array<LoopbackAdapter['platform']> = ['telegram'],
  options: Partial<GatewayOptions> = {},
): Promise<{ gateway: Gateway; adapters: LoopbackAdapter[] }> {
  const adapters = platforms.map((platform) => new LoopbackAdapter(platform));
  const gateway = new Gateway({ mnemos, config, adapters, ...options });
  await gateway.start();
  return { gateway, adapters };
}

/** The text of the last user message of a chat request. */
export function lastUserText(body: unknown): string {
  const messages =
    (body as { messages?: Array<{ role: string; content?: unknown }> }).messages ?? [];
  const last = [...messages].reverse().find((message) => message.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part as { text?: string }).text ?? '').join('');
  }
  return '';
}
