import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './command.js';

const reasons: Record<string, string> = {
  ENOENT: 'no such folder',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
};

function refused(target: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = reasons[code];
  if (reason === undefined) throw error;
  throw new UsageError(`cannot write ${target}: ${reason}`);
}

/**
 * Checked before anything is fetched, so a refused --out costs no export: a directory, a symbolic link (whose target
 * would be written instead, silently) and anything but a plain file are refused; an existing plain file only with
 * --force.
 */
export function checkOutFile(target: string, force: boolean): void {
  if (target === '') throw new UsageError('--out needs a file name');
  let stat;
  try {
    stat = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    refused(target, error);
  }
  if (stat.isDirectory()) throw new UsageError(`${target} is a directory: --out names the file to write`);
  if (stat.isSymbolicLink())
    throw new UsageError(`${target} is a symbolic link: Hearth does not write through one; name the file itself`);
  if (!stat.isFile()) throw new UsageError(`${target} is not a plain file: Hearth replaces only a plain file`);
  if (!force) throw new UsageError(`${target} exists: add --force to replace it`);
}

/**
 * Writes a file the CLI was asked for with --out. Without force the file is created exclusively ('wx' fails on an
 * existing path, a link included, without following it). With force the bytes go to a new file beside it that is
 * renamed over the target: a rename replaces the path itself, so a link made after the check is replaced, not
 * followed, and a reader never sees half a file.
 */
export function writeOutFile(target: string, bytes: Uint8Array | string, force: boolean): void {
  checkOutFile(target, force);
  if (!force) {
    try {
      writeFileSync(target, bytes, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${target} exists: add --force to replace it`);
      refused(target, error);
    }
    return;
  }
  const temporary = join(dirname(target), `.hearth-${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, bytes, { flag: 'wx' });
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    refused(target, error);
  }
}

/**
 * writeOutFile for a writer that takes a path (Parquet): it writes a new file beside the target, which then takes the
 * target's name, by rename with --force, else by a hard link that fails on any existing path (a link made after the
 * check included) without following it; the temporary name is removed either way.
 */
export function writeOutFileBy<T>(target: string, force: boolean, write: (path: string) => T): T {
  checkOutFile(target, force);
  const temporary = join(dirname(target), `.hearth-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const result = write(temporary);
    if (force) renameSync(temporary, target);
    else linkSync(temporary, target);
    return result;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${target} exists: add --force to replace it`);
    refused(target, error);
  } finally {
    rmSync(temporary, { force: true });
  }
}
