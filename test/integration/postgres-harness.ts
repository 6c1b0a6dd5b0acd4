import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's PostgreSQL server binaries, if installed (postgresql-15 on bookworm). */
function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root).sort().pop();
  return version === undefined || !existsSync(join(root, version, 'bin', 'initdb')) ? null : join(root, version, 'bin');
}

export const postgresSkip: string | false = postgresBin() === null ? 'Debian postgresql is not installed' : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * A throwaway PostgreSQL cluster on a loopback port (trust authentication, user `hearth`, database `hearth`),
 * run as the `postgres` system user when the tests run as root (PostgreSQL refuses to run as root).
 */
export async function startPostgres(): Promise<{ url: string; psql: (sql: string) => string; stop: () => void }> {
  const bin = postgresBin();
  if (bin === null) throw new Error('Debian postgresql is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '--auth=trust', '--username=hearth', '--encoding=UTF8', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  const psql = (database: string, sql: string) =>
    run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'hearth',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-qAt',
      '-c',
      sql,
    ]);
  psql('postgres', 'CREATE DATABASE hearth');
  return {
    url: `postgres://hearth@127.0.0.1:${port}/hearth`,
    psql: (sql: string) => psql('hearth', sql),
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
