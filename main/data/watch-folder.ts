import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IngestResult } from '../contracts/api.js';
import type { Client, ServiceDoor } from '../contracts/client.js';
import { HearthError, serializeError, type ErrorCode } from '../contracts/errors.js';
import { nowIso, type Db } from '../store/database.js';

/**
 * A folder whose new files are appended to a dataset: CSV/TSV, JSON, NDJSON and Parquet, oldest first. A file is
 * taken once its size and modification time have held still for one poll (a copy in progress is left alone), and
 * recorded by content hash in the transaction that commits its rows, so a restart, a crash mid-append or the same
 * file dropped again under another name never appends rows twice. Files stay where they are. The watcher appends
 * through the API (`datasets.ingest` with append and once) as the service identity `watch:<folder>`, so its appends
 * are validated, held to the service role and audited under that name like any other caller's.
 */
export interface WatchOptions {
  dir: string;
  dataset: string;
  /** Seconds between polls (default 5). */
  intervalSeconds?: number;
}

export type WatchEvent =
  | { kind: 'appended'; file: string; result: IngestResult & { appended: number } }
  | { kind: 'skipped'; file: string; reason: string }
  | { kind: 'failed'; file: string; message: string; code: ErrorCode };

/** Whether these bytes (by SHA-256) were appended to the dataset before: by a watched folder, or an append "once". */
export function contentAppended(db: Db, dataset: string, sha256: string): boolean {
  return (
    db
      .prepare('SELECT 1 FROM watched_files w JOIN datasets d ON d.id = w.dataset_id WHERE d.name = ? AND w.sha256 = ?')
      .get(dataset, sha256) !== undefined
  );
}

/** Records appended content; called inside the transaction that commits the version holding its rows. */
export function recordAppendedContent(db: Db, datasetId: number, sha256: string, path: string, version: number): void {
  db.prepare('INSERT INTO watched_files (dataset_id, sha256, path, version, appended_at) VALUES (?, ?, ?, ?, ?)').run(
    datasetId,
    sha256,
    path,
    version,
    nowIso(),
  );
}

const extensions = /\.(csv|tsv|txt|json|ndjson|jsonl|parquet|pq)$/i;

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export class FolderWatcher {
  /**
   * Size and mtime seen at the last poll, by file name: a file is taken when they have not changed since; `done`
   * once it was handled, until it changes again (a fixed file is looked at anew).
   */
  private readonly seen = new Map<string, { signature: string; done: boolean }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<WatchEvent[]> | null = null;
  private readonly api: Pick<Client, 'call'>;

  /**
   * `db` is read only, to skip content already appended without a call: a restart looks at every file in the
   * folder again, and each would otherwise leave a refused call in the audit log.
   */
  constructor(
    private readonly db: Db,
    door: ServiceDoor,
    readonly options: WatchOptions,
    private readonly onEvent: (event: WatchEvent) => void = () => {},
  ) {
    this.api = door(`watch:${options.dir}`);
  }

  /** One pass over the folder; returns what it did (also reported to onEvent). Passes never overlap. */
  poll(): Promise<WatchEvent[]> {
    this.polling ??= this.pass().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pass(): Promise<WatchEvent[]> {
    const events: WatchEvent[] = [];
    const emit = (event: WatchEvent) => {
      events.push(event);
      this.onEvent(event);
    };
    const files = readdirSync(this.options.dir, { withFileTypes: true })
      .filter((e) => e.isFile() && extensions.test(e.name) && !e.name.startsWith('.'))
      .map((e) => {
        const path = join(this.options.dir, e.name);
        const st = statSync(path);
        return { name: e.name, path, signature: `${st.size}:${st.mtimeMs}`, mtime: st.mtimeMs };
      })
      .sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name));
    for (const file of files) {
      const before = this.seen.get(file.name);
      if (before?.done === true && before.signature === file.signature) continue;
      if (before === undefined || before.done || before.signature !== file.signature) {
        // New, changed since it was handled, or still being written: look again next poll.
        this.seen.set(file.name, { signature: file.signature, done: false });
        continue;
      }
      const done = () => this.seen.set(file.name, { signature: file.signature, done: true });
      const hash = await sha256(file.path);
      if (contentAppended(this.db, this.options.dataset, hash)) {
        done();
        emit({ kind: 'skipped', file: file.name, reason: 'already appended (same content)' });
        continue;
      }
      try {
        const result = await this.api.call('datasets.ingest', {
          name: this.options.dataset,
          path: file.path,
          fileName: file.name,
          append: true,
          once: true,
        });
        // An append always counts what it added; its absence would be a bug in the handler, reported as one.
        if (result.appended === undefined) throw new HearthError('INTERNAL', 'the append did not say how many rows it added');
        done();
        emit({ kind: 'appended', file: file.name, result: { ...result, appended: result.appended } });
      } catch (error) {
        // A file that cannot be appended (no row readable, refused by the rules) is not retried until it changes.
        done();
        const { code, message } = serializeError(error);
        // Appended meanwhile by another caller (the content check in the append's transaction): nothing was lost.
        if (code === 'CONFLICT' && contentAppended(this.db, this.options.dataset, hash))
          emit({ kind: 'skipped', file: file.name, reason: 'already appended (same content)' });
        else emit({ kind: 'failed', file: file.name, message, code });
      }
    }
    return events;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll().catch(() => undefined), (this.options.intervalSeconds ?? 5) * 1000);
    void this.poll().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.polling?.catch(() => undefined);
  }
}
