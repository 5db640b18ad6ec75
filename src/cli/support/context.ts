import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { MnemosConfig } from '../../config/config.js';
import { resolveHome } from '../../config/home.js';
import { MnemosError } from '../../core/errors.js';
import { type Scope, scopeWithDefaults } from '../../core/scope.js';
import type { Mnemos, MnemosOptions } from '../../mnemos.js';

/** Options every command accepts. */
export interface GlobalOptions {
  home?: string;
  /** Profile: an isolated home (config, memory, sessions) under `<home>/profiles/<name>`. */
  profile?: string;
  json?: boolean;
}

const profilePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The home a command works in: `--home`/`MNEMOS_HOME`/`~/.mnemos`, or a profile inside it (`-p`). */
export function homeOf(command: Command): string {
  const options = globals(command);
  const base = resolveHome(options.home);
  if (options.profile === undefined) return base;
  if (!profilePattern.test(options.profile)) {
    throw new MnemosError(
      'invalid_input',
      `profile name ${JSON.stringify(options.profile)} is not valid: use 1-64 letters, digits, _ or -`,
    );
  }
  return join(base, 'profiles', options.profile);
}

/** Scope flags shared by memory commands. */
export interface ScopeOptions {
  app?: string;
  tenant?: string;
  agent?: string;
  run?: string;
  store?: string;
}

/** The global options seen from any subcommand. */
export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/** Opens Mnemos for a command, runs it, and always closes. */
export async function withMnemos<T>(
  command: Command,
  work: (mnemos: Mnemos) => Promise<T>,
  options: MnemosOptions = {},
): Promise<T> {
  const home = homeOf(command);
  // The engine (storage, models, their SDKs) loads only once a command runs, never for --help.
  const { Mnemos } = await import('../../mnemos.js');
  const mnemos = await Mnemos.open({ home, ...options });
  try {
    return await work(mnemos);
  } finally {
    await mnemos.close();
  }
}

/** Scope for a write: flags, else config defaults (app_id, tenant_id, agent_id, run_id). */
export function writeScopeFrom(mnemos: Mnemos, options: ScopeOptions): Partial<Scope> {
  return scopeWithDefaults('write', flagScope(options), configScope(mnemos));
}

/** Scope for a read: app and tenant from flags or config, agent and run from flags or `*`. */
export function readScopeFrom(mnemos: Mnemos, options: ScopeOptions): Partial<Scope> {
  return scopeWithDefaults('read', flagScope(options), configScope(mnemos));
}

function flagScope(options: ScopeOptions): Partial<Scope> {
  return {
    appId: options.app,
    tenantId: options.tenant,
    agentId: options.agent,
    runId: options.run,
  };
}

function configScope(mnemos: Mnemos): Scope {
  const { app_id, tenant_id, agent_id, run_id } = mnemos.config;
  return { appId: app_id, tenantId: tenant_id, agentId: agent_id, runId: run_id };
}

/** Adds the scope flags to a command. */
export function scopeFlags(command: Command, read: boolean): Command {
  const suffix = read ? ' (default: * = all)' : '';
  return command
    .option('--app <id>', 'application id (default: config app_id)')
    .option('--tenant <id>', 'tenant / user id (default: config tenant_id)')
    .option('--agent <id>', `agent id${suffix}`)
    .option('--run <id>', `run / session id${suffix}`)
    .option('--store <name>', 'memory store (default: config memory_store_name)');
}

/** The (app, tenant) of a command: flags, else config defaults. */
export function tenantOwner(
  mnemos: { config: { app_id: string; tenant_id: string } },
  options: Pick<ScopeOptions, 'app' | 'tenant'>,
): { appId: string; tenantId: string } {
  const scope = scopeWithDefaults(
    'read',
    { appId: options.app, tenantId: options.tenant },
    {
      appId: mnemos.config.app_id,
      tenantId: mnemos.config.tenant_id,
    },
  );
  return { appId: scope.appId, tenantId: scope.tenantId };
}

/** Adds the --app and --tenant flags of per-tenant commands (sessions, profile). */
export function tenantFlags(command: Command): Command {
  return command
    .option('--app <id>', 'application id (default: config app_id)')
    .option('--tenant <id>', 'tenant / user id (default: config tenant_id)');
}

/** Config of the home without opening storage, for commands that only read settings. */
export async function configOf(command: Command): Promise<MnemosConfig> {
  const home = homeOf(command);
  const { loadConfig } = await import('../../config/config.js');
  return loadConfig(home);
}

/**
 * Tells a person, once per home, that ingestion runs without a chat model (passthrough), and how to
 * add one; scripts (`--json`) are never told, `mnemos status` always says it.
 */
export function noticePassthroughOnce(command: Command, mnemos: Mnemos): void {
  if (globals(command).json) return;
  const plan = mnemos.extraction;
  if (plan.mode !== 'passthrough' || !plan.notice) return;
  const marker = join(mnemos.home, 'notices', 'passthrough');
  if (existsSync(marker)) return;
  process.stderr.write(
    `note: ${plan.reason}.\n      Run \`mnemos status\` to see the model of each role. (This note is shown once.)\n`,
  );
  try {
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // A read-only home only means the note comes again.
  }
}
