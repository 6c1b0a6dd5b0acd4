import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HearthError } from '../contracts/errors.js';

const digestPattern = /^sha256:[0-9a-f]{64}$/;

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Content-addressed files under `<root>/sha256/ab/<hex>`. A blob is written to a temp file, fsynced and renamed,
 * so a crash leaves either the whole blob or nothing; the same content is stored once.
 */
export class BlobStore {
  constructor(private readonly root: string) {
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  pathOf(digest: string): string {
    if (!digestPattern.test(digest)) throw new HearthError('VALIDATION_FAILED', `not a sha256 digest: ${digest}`);
    const hex = digest.slice('sha256:'.length);
    return join(this.root, 'sha256', hex.slice(0, 2), hex);
  }

  has(digest: string): boolean {
    return existsSync(this.pathOf(digest));
  }

  /** Stores the bytes and returns their digest and whether this call created the file. */
  put(data: Uint8Array): { digest: string; size: number; created: boolean } {
    const digest = sha256Digest(data);
    const target = this.pathOf(digest);
    if (existsSync(target)) return { digest, size: data.byteLength, created: false };
    mkdirSync(dirname(target), { recursive: true });
    const temp = join(this.root, 'tmp', `${randomBytes(8).toString('hex')}.part`);
    const fd = openSync(temp, 'w');
    try {
      let offset = 0;
      while (offset < data.byteLength) offset += writeSync(fd, data, offset, data.byteLength - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    fsyncDirectory(dirname(target));
    return { digest, size: data.byteLength, created: true };
  }

  /** Reads a blob and checks it still hashes to its name: a damaged file is an error, never silent data. */
  get(digest: string): Buffer {
    const path = this.pathOf(digest);
    if (!existsSync(path)) throw new HearthError('NOT_FOUND', `blob ${digest} is missing from the store`);
    const data = readFileSync(path);
    if (sha256Digest(data) !== digest) {
      throw new HearthError('INTERNAL', `blob ${digest} is damaged: its content no longer matches its digest`);
    }
    return data;
  }

  /** Removes a blob this process just created when the transaction that would reference it failed. */
  discard(digest: string): void {
    rmSync(this.pathOf(digest), { force: true });
  }
}

function fsyncDirectory(path: string): void {
  // Makes the rename itself durable; not supported on Windows, where the rename is already journaled.
  if (process.platform === 'win32') return;
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
