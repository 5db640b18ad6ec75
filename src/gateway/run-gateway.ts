import type { Mnemos } from '../mnemos.js';
import { Gateway } from './gateway.js';
import { type AdapterFactories, adapterFactories, createAdapters } from './load-adapters.js';
import type { AdapterOptions } from './platform/gateway-adapter.js';
import { environmentSecret } from './platform-secrets.js';

/** Log lines of a running gateway. */
export type GatewayLogger = (level: 'info' | 'warn' | 'debug' | 'error', message: string) => void;

/**
 * Builds the adapters of every enabled platform and starts the gateway over them (`mnemos gateway
 * run`, and `mnemos serve` when `gateway.enabled`); stop it with `gateway.stop()`.
 */
export async function runGateway(
  mnemos: Mnemos,
  log: GatewayLogger,
  factories: AdapterFactories = adapterFactories,
): Promise<Gateway> {
  const config = mnemos.config.gateway;
  const options: AdapterOptions = {
    secret: environmentSecret,
    log: (level, message) => log(level, message),
  };
  const adapters = await createAdapters(config, options, factories);
  const gateway = new Gateway({ mnemos, config, adapters, log });
  await gateway.start();
  return gateway;
}
