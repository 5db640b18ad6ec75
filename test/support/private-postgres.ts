import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** Where the PostgreSQL server binaries are: MNEMOS_TEST_POSTGRES_BIN, else Debian's PostgreSQL 15. */
export const postgresBin = process.env.MNEMOS_TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** The server binaries a private server needs that are missing (empty when it can run). */
export function missingPostgresBinaries(): string[] {
  return ['initdb', 'pg_ctl', 'postgres']
    .map((name) => join(postgresBin, name))
    .filter((path) => !existsSync(path));
}

/** A throwaway PostgreSQL server of one test file: its own data directory, port and socket directory. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/mnemos`, trust authentication. */
  url: string;
  /** Fast shutdown (`pg_ctl stop -m fast`): open sessions are terminated, new ones refused. */
  stop(): Promise<void>;
  /** Starts the server again on the same data directory and port. */
  start(): Promise<void>;
  /** Stops the server (immediate mode) if it runs and removes its directory; never throws. */
  remove(): Promise<void>;
}

/** Runs a server binary, as the `postgres` user when this process is root (Postgres refuses root). */
async function runBinary(name: string, args: string[]): Promise<void> {
  const binary = join(postgresBin, name);
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  await run(command, argv, { timeout: 60_000 });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** initdb into a temp directory, start on a free port, create database `mnemos` (pgvector must be installed system-wide). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), 'mnemos-pg-'));
  const data = join(root, 'data');
  const log = join(root, 'server.log');
  if (asRoot) {
    const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout);
    chownSync(root, await id('-u'), await id('-g'));
  }
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root}`;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/mnemos`,
    async start() {
      await runBinary('pg_ctl', [
        'start',
        '-w',
        '-t',
        '60',
        '-D',
        data,
        '-l',
        log,
        '-o',
        options,
      ]).catch((error: Error) => {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
        throw new Error(`private Postgres did not start: ${error.message}\n${tail}`);
      });
    },
    stop: () => runBinary('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'fast', '-D', data]),
    async remove() {
      await runBinary('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await runBinary('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await server.start();
    const client = new pg.Client({ connectionString: server.url.replace(/mnemos$/, 'postgres') });
    await client.connect();
    await client.query('CREATE DATABASE mnemos').finally(() => client.end());
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}
