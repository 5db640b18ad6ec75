import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where Debian's `dovecot-imapd` puts the server binary (MNEMOS_TEST_DOVECOT_BIN overrides). */
export const dovecotBin = process.env.MNEMOS_TEST_DOVECOT_BIN ?? '/usr/sbin/dovecot';

/** Whether the Dovecot binary is installed; tests skip loudly when it is not. */
export function dovecotAvailable(): boolean {
  const found = existsSync(dovecotBin);
  if (!found) {
    console.warn(
      `\n!!! SKIPPING IMAP tests: ${dovecotBin} is missing. Install it with ` +
        '`apt-get install -y dovecot-imapd` (CI does).\n',
    );
  }
  return found;
}

/** A mail account of the private server. */
export interface DovecotUser {
  user: string;
  password: string;
}

/** A throwaway Dovecot IMAP server of one test file: its own config, maildirs and port. */
export interface PrivateDovecot {
  host: '127.0.0.1';
  port: number;
  /** Drops every IMAP connection of `user` (`doveadm kick`), as a server restart would. */
  kick(user: string): void;
  /** Stops the server and removes its directory; never throws. */
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The uid and gid of a system account. */
function account(name: string): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Resolves once something accepts connections on the port, or fails with the server's log. */
async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
  child.kill('SIGKILL');
  throw new Error(`private Dovecot did not start on port ${port}\n${tail}`);
}

/**
 * Starts Dovecot in the foreground with a config in a temp directory: IMAP only on 127.0.0.1 and
 * a free port, no TLS, plaintext logins, a passwd-file of `users`, maildirs in the same directory.
 * As root the mail is owned by `nobody` (Dovecot refuses uid 0 for mail) and its own processes
 * run as the `dovecot`/`dovenull` accounts the package created; otherwise all as this user.
 */
export async function startDovecot(users: DovecotUser[]): Promise<PrivateDovecot> {
  const root = mkdtempSync(join(tmpdir(), 'mnemos-dovecot-'));
  chmodSync(root, 0o755);
  const mail = join(root, 'mail');
  mkdirSync(mail);
  const mailOwner = asRoot
    ? account('nobody')
    : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  if (asRoot) chownSync(mail, mailOwner.uid, mailOwner.gid);
  const passwd = join(root, 'passwd');
  writeFileSync(
    passwd,
    `${users
      .map(
        ({ user, password }) =>
          `${user}:{PLAIN}${password}:${mailOwner.uid}:${mailOwner.gid}::${mail}/${user}::`,
      )
      .join('\n')}\n`,
  );
  const port = await freePort();
  const log = join(root, 'dovecot.log');
  const me = asRoot ? null : execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  const config = join(root, 'dovecot.conf');
  writeFileSync(
    config,
    `base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.1/32
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
auth_failure_delay = 0
first_valid_uid = 1
default_internal_user = ${me ?? 'dovecot'}
default_internal_group = ${me ? execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim() : 'dovecot'}
default_login_user = ${me ?? 'dovenull'}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwd}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );
  const child = spawn(dovecotBin, ['-F', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A test process that dies without stop() must not leave the server running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitForPort(port, child, log).catch((error: Error) => {
    throw new Error(`${error.message}\n${stderr}`);
  });
  return {
    host: '127.0.0.1',
    port,
    kick(user) {
      execFileSync(
        join(dirname(dovecotBin), '..', 'bin', 'doveadm'),
        ['-c', config, 'kick', user],
        {
          stdio: 'ignore',
        },
      );
    },
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
