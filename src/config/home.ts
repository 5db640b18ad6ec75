import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Mnemos home: `MNEMOS_HOME`, else `~/.mnemos`. */
export function resolveHome(home?: string): string {
  return home ?? process.env.MNEMOS_HOME ?? join(homedir(), '.mnemos');
}

/** Path of `config.yaml` in a home. */
export function configPath(home: string): string {
  return join(home, 'config.yaml');
}
