import { environmentValue } from '../settings/environment.js';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HearthError } from '../contracts/errors.js';
import { privateFileMode, readPrivateKeyFile } from '../crypto/private-fs.js';

/**
 * Seals small secrets (registry credentials) with AES-256-GCM before they reach the database. The key comes from
 * HEARTH_SECRET_KEY (base64, 32 bytes) or from `secret.key` in the data folder, created on first use with mode
 * 0600. The sealed form is `v1:` + base64(iv ‖ tag ‖ ciphertext); tampering fails authentication.
 */
export class SecretBox {
  private key: Buffer | null = null;

  constructor(private readonly dataDir: string) {}

  private loadKey(): Buffer {
    if (this.key !== null) return this.key;
    const fromEnv = environmentValue('HEARTH_SECRET_KEY');
    if (fromEnv !== undefined) {
      const key = Buffer.from(fromEnv, 'base64');
      if (key.length !== 32) throw new HearthError('VALIDATION_FAILED', 'HEARTH_SECRET_KEY must be 32 bytes, base64-encoded');
      return (this.key = key);
    }
    const file = join(this.dataDir, 'secret.key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: privateFileMode, flag: 'wx' });
    const key = Buffer.from(readPrivateKeyFile(file, 'secret key file').trim(), 'base64');
    if (key.length !== 32) throw new HearthError('STORE_INCOMPATIBLE', `${file} does not hold a 32-byte key`);
    return (this.key = key);
  }

  /** A key for one purpose (HKDF-SHA256 of the store's key): pseudonyms, for one, must not share the sealing key. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.loadKey(), Buffer.alloc(0), `hearth:${purpose}`, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1:')) throw new HearthError('STORE_INCOMPATIBLE', 'unknown sealed-secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.loadKey(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new HearthError('UNAUTHORIZED', 'a stored secret could not be decrypted with this key');
    }
  }
}
