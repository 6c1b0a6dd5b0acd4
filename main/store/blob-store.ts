import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HearthError } from '../contracts/errors.js';
import { makePrivateDir, privateFileMode } from '../crypto/private-fs.js';

const digestPattern = /^sha256:[0-9a-f]{64}$/;
const sealedMagic = Buffer.from('HBE1');

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Content-addressed files under `<root>/sha256/ab/<hex>`. A blob is written to a temp file, fsynced and renamed,
 * so a crash leaves either the whole blob or nothing; the same content is stored once.
 */
export class BlobStore {
  constructor(
    private readonly root: string,
    /** With a key, files hold `HBE1` ‖ iv ‖ tag ‖ AES-256-GCM ciphertext; names stay the plaintext's digest. */
    private readonly key: Buffer | null = null,
  ) {
    makePrivateDir(join(root, 'tmp'));
  }

  private seal(data: Uint8Array): Uint8Array {
    return this.key === null ? data : sealBlob(this.key, data);
  }

  private open(file: Buffer, digest: string): Buffer {
    if (!isSealedBlob(file)) {
      if (this.key !== null) throw new HearthError('INTERNAL', `blob ${digest} is not encrypted in an encrypted store`);
      return file;
    }
    if (this.key === null) throw new HearthError('UNAUTHORIZED', `blob ${digest} is encrypted: the store key is needed`);
    const plain = openSealedBlob(this.key, file);
    if (plain === null) throw new HearthError('INTERNAL', `blob ${digest} is damaged: it fails authentication`);
    return plain;
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
    makePrivateDir(dirname(target));
    const temp = join(this.root, 'tmp', `${randomBytes(8).toString('hex')}.part`);
    const fd = openSync(temp, 'wx', privateFileMode);
    const bytes = this.seal(data);
    try {
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
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
    const data = this.open(readFileSync(path), digest);
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

/** A blob file of an encrypted store: `HBE1` ‖ iv ‖ GCM tag ‖ AES-256-GCM ciphertext. */
export function sealBlob(key: Buffer, data: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([sealedMagic, iv, cipher.getAuthTag(), body]);
}

export function isSealedBlob(file: Buffer): boolean {
  return file.subarray(0, 4).equals(sealedMagic);
}

/** The plaintext of a sealed blob, or null when it does not authenticate under `key`. */
export function openSealedBlob(key: Buffer, file: Buffer): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', key, file.subarray(4, 16));
  decipher.setAuthTag(file.subarray(16, 32));
  try {
    return Buffer.concat([decipher.update(file.subarray(32)), decipher.final()]);
  } catch {
    return null;
  }
}
