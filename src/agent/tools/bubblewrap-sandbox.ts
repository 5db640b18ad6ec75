import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { MnemosError } from '../../core/errors.js';
import type { CommandLaunch, CommandSandbox } from './command-sandbox.js';

/** Settings of the bubblewrap sandbox (config `agent.sandbox`). */
export interface BubblewrapOptions {
  /** The `bwrap` executable, a path or a name on PATH (default `bwrap`). */
  bwrap?: string;
  /** Let commands use the host's network (default false: a private network namespace, no links). */
  network?: boolean;
  /** Who commands run as when the server runs as root (default nobody, 65534:65534). */
  uid?: number;
  gid?: number;
}

/** Where the workspace appears inside the sandbox. */
export const sandboxWorkspace = '/workspace';

const systemFolders = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The parts of /etc programs need (dynamic linker, alternatives, names, TLS roots); no secrets. */
const etcEntries = [
  'alternatives',
  'ca-certificates',
  'ca-certificates.conf',
  'gai.conf',
  'group',
  'host.conf',
  'hosts',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'os-release',
  'passwd',
  'protocols',
  'resolv.conf',
  'services',
  'ssl',
];

/** The only variables commands see: nothing of the server's environment or its `.env`. */
const sandboxEnvironment: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: sandboxWorkspace,
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
  PAGER: 'cat',
  GIT_PAGER: 'cat',
};

/** Read-only system folders as bwrap arguments: merged-/usr symlinks stay symlinks. */
function systemMounts(): string[] {
  const args: string[] = [];
  for (const folder of systemFolders) {
    try {
      const info = lstatSync(folder);
      if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
      else if (info.isDirectory()) args.push('--ro-bind', folder, folder);
    } catch {
      // Not on this system (lib32, libx32, …).
    }
  }
  // As root, bwrap makes missing parents 0700: the unprivileged user could not look inside.
  args.push('--perms', '0755', '--dir', '/etc');
  for (const entry of etcEntries) args.push('--ro-bind-try', `/etc/${entry}`, `/etc/${entry}`);
  return args;
}

/**
 * The bwrap arguments that confine a command to `workspace`: new PID, IPC, UTS, cgroup and (unless
 * `network`) network namespaces; only the workspace writable (at `/workspace`), system folders
 * read-only, a private /tmp, /proc and /dev; a cleared environment; killed with its parent, in a
 * new session so it cannot reach the server's terminal. As root, commands drop to `drop` (uid and
 * gid, no capabilities, no new privileges) through setpriv; otherwise a user namespace keeps them
 * as the server's own unprivileged user.
 */
export function bubblewrapArgs(
  workspace: string,
  options: { network: boolean; drop?: { uid: number; gid: number } | undefined },
): string[] {
  const args = [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'sandbox',
  ];
  if (!options.network) args.push('--unshare-net');
  if (!options.drop) args.push('--unshare-user', '--disable-userns');
  args.push(...systemMounts());
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '01777', '--tmpfs', '/tmp');
  args.push('--bind', workspace, sandboxWorkspace, '--chdir', sandboxWorkspace, '--clearenv');
  for (const [name, value] of Object.entries(sandboxEnvironment)) {
    args.push('--setenv', name, value);
  }
  args.push('--');
  if (options.drop) {
    args.push(
      '/usr/bin/setpriv',
      `--reuid=${options.drop.uid}`,
      `--regid=${options.drop.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
    );
  }
  return args;
}

const advice =
  'install bubblewrap (Debian: apt-get install bubblewrap) or take terminal out of agent.surfaces.*.toolsets';

function unavailable(reason: string, cause?: unknown): MnemosError {
  return new MnemosError(
    'config_error',
    `command refused: the sandbox (bubblewrap) cannot run here: ${reason}; commands of this surface only run sandboxed; ${advice}`,
    { category: 'system', details: { sandbox: 'bubblewrap', reason }, cause },
  );
}

/** Runs `bwrap … /bin/sh -c true` once and says why it failed, or null when it works. */
function probe(launch: CommandLaunch): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(launch.file, [...launch.args, '/bin/sh', '-c', 'true'], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? `${launch.file} was not found`
          : `${launch.file} could not start (${error.message})`,
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve(null);
      else
        resolve(
          `${launch.file} failed (${signal ?? `exit code ${code}`}): ${stderr.trim() || 'no message'}`,
        );
    });
  });
}

/** Sandboxes (bwrap and workspace) that ran once in this process. */
const working = new Set<string>();

/**
 * The bubblewrap sandbox of terminal commands on untrusted surfaces. It is tried before a
 * workspace's first command (a failure is not remembered, so installing bwrap needs no restart);
 * when it cannot run, the command is refused with MnemosError `config_error` saying why.
 */
export function bubblewrapSandbox(options: BubblewrapOptions = {}): CommandSandbox {
  const network = options.network ?? false;
  const root = process.getuid?.() === 0;
  const drop = root ? { uid: options.uid ?? 65_534, gid: options.gid ?? 65_534 } : undefined;
  const file = options.bwrap ?? 'bwrap';
  return {
    description: `Commands run in a sandbox: the workspace is ${sandboxWorkspace} (the only writable folder besides a private /tmp), system folders are read-only, nothing else of the machine is visible, the environment is minimal${network ? '' : ', and there is no network'}.`,
    async launch(workspace) {
      if (drop) await chown(workspace, drop.uid, drop.gid);
      const launch: CommandLaunch = {
        file,
        args: bubblewrapArgs(workspace, { network, drop }),
        env: { PATH: sandboxEnvironment.PATH! },
        cwd: workspace,
      };
      const key = `${file}\u0000${workspace}`;
      if (!working.has(key)) {
        const failure = await probe(launch);
        if (failure) throw unavailable(failure);
        working.add(key);
      }
      return launch;
    },
  };
}
