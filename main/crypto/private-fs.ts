import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { HearthError } from '../contracts/errors.js';

/**
 * The data folder holds raw rows, models, credentials and keys: only the user Hearth runs as may read it. Every
 * folder is made 0700 and every file 0600 when it is created (an explicit mode, never a chmod afterwards, which
 * would leave a window where the file is open to others), and the engine's process umask is 077 so that native code
 * that picks its own mode (SQLite, ONNX Runtime) cannot widen it either.
 */
export const privateDirMode = 0o700;
export const privateFileMode = 0o600;

/** Modes are what guard files on POSIX; on Windows, ACLs do and Node reports 0o666 for every file. */
const modesApply = process.platform !== 'win32';

/** mkdir -p where every folder it creates is 0700 (Node passes the mode to each level it makes). */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: privateDirMode });
}

/** Creates an empty 0600 file if none is there, so a library that opens it (SQLite) finds it private. */
export function touchPrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'a', privateFileMode));
}

/**
 * Files this process creates from now on have no group or other bit, whichever library creates them. Worker threads
 * may not change the umask (Node throws there), and they inherit the process's anyway.
 */
export function restrictUmask(): void {
  if (modesApply && isMainThread) process.umask(0o077);
}

/**
 * Opens (creating) a data folder as private. A folder an older Hearth, or the user, left open to others is tightened
 * to 0700: it is the one gate to everything inside, including files created before modes were set.
 */
export function openPrivateDataDir(dataDir: string): void {
  restrictUmask();
  makePrivateDir(dataDir);
  if (modesApply && (statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, privateDirMode);
}

/**
 * Reads a file that holds a key or a passphrase. One that group or others may read or write is refused: its secret
 * may already be known, or be swapped for one an attacker knows (OpenSSH refuses a loose private key the same way).
 */
export function readPrivateKeyFile(path: string, what: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    throw new HearthError('VALIDATION_FAILED', `cannot read the ${what} ${path}`);
  }
  if (modesApply && (mode & 0o077) !== 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      `the ${what} ${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}): only its owner may read it. Run: chmod 600 ${path}`,
      { path, mode: mode.toString(8) },
    );
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new HearthError('VALIDATION_FAILED', `cannot read the ${what} ${path}`);
  }
}
