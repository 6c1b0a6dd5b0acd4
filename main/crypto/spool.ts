import { createCipheriv, createDecipheriv, randomBytes, type Decipher } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Uploads are spooled to disk encrypted under a key that lives only in this process's memory (AES-256-CTR, so a
 * reader can start at any byte, as the CSV reader does when it resumes after a broken quote). Raw uploaded values
 * never reach the disk readable: not before the PII policies apply, not in an encrypted store, not after a crash
 * (the key dies with the process; the file is cleared at the next start).
 */
export interface SpoolCipher {
  key: Buffer;
  iv: Buffer;
}

export function newSpoolCipher(): SpoolCipher {
  return { key: randomBytes(32), iv: randomBytes(16) };
}

/** The counter block for byte `offset`: the IV as a 128-bit big-endian number plus the block index. */
function counterAt(iv: Buffer, offset: number): Buffer {
  const counter = Buffer.from(iv);
  let carry = BigInt(Math.floor(offset / 16));
  for (let i = 15; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(counter[i]!) + (carry & 0xffn);
    counter[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return counter;
}

export function spoolEncrypter(cipher: SpoolCipher) {
  return createCipheriv('aes-256-ctr', cipher.key, cipher.iv);
}

/** A decipher positioned at byte `offset` of the spooled file. */
export function spoolDecipherAt(cipher: SpoolCipher, offset: number): Decipher {
  const decipher = createDecipheriv('aes-256-ctr', cipher.key, counterAt(cipher.iv, offset));
  if (offset % 16 !== 0) decipher.update(Buffer.alloc(offset % 16));
  return decipher;
}

/** The plaintext of a spooled file from byte `start`. */
export function spoolStream(path: string, cipher: SpoolCipher, start: number, highWaterMark: number): Readable {
  return createReadStream(path, { start, highWaterMark }).pipe(spoolDecipherAt(cipher, start));
}
