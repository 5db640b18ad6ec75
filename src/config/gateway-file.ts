import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MnemosError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** Path of `<home>/gateway.yaml`, which may hold the whole `gateway` section instead of config.yaml. */
export function gatewayFilePath(home: string): string {
  return join(home, 'gateway.yaml');
}

/**
 * Raw settings with `<home>/gateway.yaml` as their `gateway` section when that file exists;
 * `config_error` naming both files when config.yaml has a `gateway:` section too.
 */
export function withGatewayFile(
  home: string,
  raw: Record<string, unknown>,
  configFile: string,
): Record<string, unknown> {
  const path = gatewayFilePath(home);
  if (!existsSync(path)) return raw;
  if (raw.gateway !== undefined) {
    throw new MnemosError(
      'config_error',
      `gateway: set in both ${configFile} and ${path}; keep one of them`,
      { details: { path, field: 'gateway' } },
    );
  }
  let section: unknown;
  try {
    section = (require('yaml') as typeof import('yaml')).parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MnemosError(
      'config_error',
      `${path} is not valid YAML: ${(error as Error).message}`,
      {
        details: { path },
      },
    );
  }
  if (section === null || section === undefined) return raw;
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new MnemosError('config_error', `${path} must hold a mapping of gateway settings`, {
      details: { path },
    });
  }
  return { ...raw, gateway: section };
}
