import { MnemosError } from '../../core/errors.js';
import type { AdapterOptions } from './gateway-adapter.js';

/**
 * A secret an adapter cannot start without, as read (not trimmed); unset or blank is a
 * `config_error` naming the variable: `<platform>: set NAME in the environment or .env`.
 */
export function requireSecret(options: AdapterOptions, platform: string, name: string): string {
  const value = options.secret(name);
  if (value === undefined || value.trim() === '') {
    throw new MnemosError('config_error', `${platform}: set ${name} in the environment or .env`);
  }
  return value;
}
