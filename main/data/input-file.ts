import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { CallContext } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import { spoolStream, type SpoolCipher } from '../crypto/spool.js';

/** The engine's upload spool: an upload's file and cipher by id, and its removal once a method has read it. */
export interface Uploads {
  upload(id: string): { path: string; spool: SpoolCipher };
  discardUpload(id: string): void;
}

/** The SHA-256 of a file's content (an upload's plaintext, read through its spool cipher). */
export async function fileDigest(path: string, spool?: SpoolCipher): Promise<string> {
  const hash = createHash('sha256');
  const stream = spool === undefined ? createReadStream(path) : spoolStream(path, spool, 0, 1 << 20);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The file a method reads: an upload (HTTP PUT /api/uploads, the desktop bridge), discarded afterwards, or a local
 * path, which only the CLI and in-process callers may name.
 */
export async function withInputFile<T>(
  uploads: Uploads,
  args: { uploadId?: string | undefined; path?: string | undefined },
  context: CallContext,
  verb: string,
  use: (path: string, spool: SpoolCipher | undefined) => Promise<T>,
): Promise<T> {
  let path: string;
  let spool: SpoolCipher | undefined;
  if (args.path !== undefined) {
    if (context.transport !== 'in-process')
      throw new HearthError('FORBIDDEN', `local paths can be ${verb} from the CLI only; upload the file instead`);
    path = args.path;
  } else ({ path, spool } = uploads.upload(args.uploadId!));
  try {
    return await use(path, spool);
  } finally {
    if (args.uploadId !== undefined) uploads.discardUpload(args.uploadId);
  }
}
