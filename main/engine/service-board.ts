import type { ServicesStatus, WatchRecord } from '../contracts/system.js';
import type { WatchEvent } from '../data/watch-folder.js';
import { redactText, redactUrl } from '../security/redact.js';
import type { HearthConfig } from '../settings/file-schema.js';
import type { Db } from '../store/database.js';
import type { StreamStats } from '../streams/mqtt-stream.js';

/** What system.services reads of a running stream: its options and live counters. */
interface RunningStream {
  readonly options: { inTopic: string; outTopic: string; model: string };
  readonly stats: StreamStats;
}

/** Skipped and failed files kept per watched folder (appends are read from the store instead). */
const keptEvents = 20;
/** Appended files listed per watched folder. */
const listedAppends = 20;

/**
 * The background services this process runs, as system.services reports them. startServices (services.ts) registers
 * what it starts; a one-shot CLI command registers nothing, so the same method then reports the config alone.
 */
export class ServiceBoard {
  private streams: RunningStream[] = [];
  private readonly watchEvents = new Map<string, WatchRecord[]>();
  private watchesRunning = false;
  private running = false;

  /** Called by startServices with the streams it made, in the config's order. */
  attach(streams: RunningStream[]): void {
    this.streams = streams;
    this.watchesRunning = true;
    this.running = true;
  }

  detach(): void {
    this.streams = [];
    this.watchesRunning = false;
    this.running = false;
  }

  /** A watched folder's skip or failure, kept in memory (newest first, at most 20 a folder). */
  recordWatch(dir: string, event: WatchEvent, at: Date = new Date()): void {
    if (event.kind === 'appended') return;
    const list = this.watchEvents.get(dir) ?? [];
    list.unshift({
      file: event.file,
      kind: event.kind,
      at: at.toISOString(),
      version: null,
      appended: null,
      quarantined: null,
      message: event.kind === 'skipped' ? event.reason : event.message,
    });
    this.watchEvents.set(dir, list.slice(0, keptEvents));
  }

  status(config: HearthConfig | null, db: Db): ServicesStatus {
    const streams = (config?.streams ?? []).map((st, i) => {
      const running = this.streams[i];
      return {
        model: st.model,
        inTopic: st.in,
        outTopic: st.out,
        broker: redactUrl(st.mqtt),
        dataset: st.dataset ?? null,
        // An error's message may quote the broker's URL, password and all.
        stats:
          running === undefined
            ? null
            : {
                ...running.stats,
                lastError: running.stats.lastError === null ? null : redactText(running.stats.lastError),
              },
      };
    });
    const watches = (config?.watch ?? []).map((w) => {
      const appended = appendedFiles(db, w.dataset);
      const recent = [...appended, ...(this.watchEvents.get(w.dir) ?? [])].sort((a, b) => b.at.localeCompare(a.at));
      return {
        dir: w.dir,
        dataset: w.dataset,
        intervalSeconds: w.intervalSeconds ?? 5,
        running: this.watchesRunning,
        recent: recent.slice(0, listedAppends),
      };
    });
    const pipelines = (config?.pipelines ?? []).map((p) => ({ file: p.file, schedule: p.schedule }));
    return { running: this.running, streams, watches, pipelines };
  }
}

/**
 * The files appended once to a watched dataset, from the store (watched_files, written in the transaction that commits
 * their rows, by file name: a watched folder's, or another caller's append "once"): the rows each added (its version's
 * rows less the version before's, where retention kept that one) and its version's quarantined rows.
 */
function appendedFiles(db: Db, dataset: string): WatchRecord[] {
  const rows = db
    .prepare(
      `SELECT w.path, w.version, w.appended_at, v.row_count, v.quarantined_count, p.row_count AS before_count
         FROM watched_files w
         JOIN datasets d ON d.id = w.dataset_id
         LEFT JOIN dataset_versions v ON v.dataset_id = w.dataset_id AND v.version = w.version
         LEFT JOIN dataset_versions p ON p.dataset_id = w.dataset_id AND p.version = w.version - 1
        WHERE d.name = ?
        ORDER BY w.appended_at DESC, w.version DESC LIMIT ?`,
    )
    .all(dataset, listedAppends) as {
    path: string;
    version: number;
    appended_at: string;
    row_count: number | null;
    quarantined_count: number | null;
    before_count: number | null;
  }[];
  return rows.map((r) => ({
    file: r.path,
    kind: 'appended' as const,
    at: r.appended_at,
    version: r.version,
    appended: r.row_count === null ? null : r.row_count - (r.before_count ?? 0),
    quarantined: r.quarantined_count,
    message: null,
  }));
}
