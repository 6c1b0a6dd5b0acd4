import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IngestResult } from '../contracts/api.js';
import { nowIso, type Db } from '../store/database.js';
import type { DatasetStore } from './datasets.js';

/**
 * A folder whose new files are appended to a dataset: CSV/TSV, JSON, NDJSON and Parquet, oldest first. A file is
 * taken once its size and modification time have held still for one poll (a copy in progress is left alone), and
 * recorded by content hash in the transaction that commits its rows, so a restart, a crash mid-append or the same
 * file dropped again under another name never appends rows twice. Files stay where they are.
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
  | { kind: 'failed'; file: string; message: string };

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

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetStore,
    readonly options: WatchOptions,
    private readonly onEvent: (event: WatchEvent) => void = () => {},
  ) {}

  private known(hash: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM watched_files w JOIN datasets d ON d.id = w.dataset_id WHERE d.name = ? AND w.sha256 = ?')
        .get(this.options.dataset, hash) !== undefined
    );
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
      if (this.known(hash)) {
        done();
        emit({ kind: 'skipped', file: file.name, reason: 'already appended (same content)' });
        continue;
      }
      try {
        const result = await this.datasets.appendFile(this.options.dataset, file.path, {
          fileName: file.name,
          inTransaction: (datasetId, version) =>
            this.db
              .prepare('INSERT INTO watched_files (dataset_id, sha256, path, version, appended_at) VALUES (?, ?, ?, ?, ?)')
              .run(datasetId, hash, file.path, version, nowIso()),
        });
        done();
        emit({ kind: 'appended', file: file.name, result });
      } catch (error) {
        // A file that cannot be appended (no row readable, refused by the rules) is not retried until it changes.
        done();
        emit({ kind: 'failed', file: file.name, message: error instanceof Error ? error.message : String(error) });
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
