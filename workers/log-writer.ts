import { parentPort, workerData } from 'node:worker_threads';
import { keyConnection } from '../main/crypto/store-key.js';
import Database from 'better-sqlite3-multiple-ciphers';
import { appendLogBatches, convertLegacy, type LogBatch } from '../main/table/log-columns.js';

/**
 * Writes the prediction log (and the failed-request counts beside it) on its own thread and connection, so neither the
 * inserts, the columnar segments (main/table/log-columns.ts) nor SQLite's WAL checkpoints
 * (which copy pages and fsync) ever hold up a prediction. Each batch is one transaction, acknowledged with the count
 * committed so far; `done` is set once the connection is closed, which the engine's close waits on.
 */
const { file, done, key } = workerData as { file: string; done: SharedArrayBuffer; key: Uint8Array | null };
const closed = new Int32Array(done);
let committed = 0;
const db = new Database(file);
keyConnection(db, key === null ? null : Buffer.from(key));
db.pragma('journal_mode = WAL');
// The log is sampled telemetry: a power cut may cost its last moments, never a prediction or the store's integrity.
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const insertError = db.prepare('INSERT INTO request_errors (model, code, at) VALUES (?, ?, ?)');
// eslint-disable-next-line @typescript-eslint/unbound-method -- better-sqlite3's variants are closures that ignore `this`
const write = db.transaction((batches: LogBatch[], errors: unknown[][]) => {
  appendLogBatches(db, batches);
  for (const error of errors) insertError.run(...error);
}).immediate;
let closing = false;
// eslint-disable-next-line @typescript-eslint/unbound-method -- as above
const convert = db.transaction(() => convertLegacy(db)).immediate;

/**
 * Rows logged before migration 0019 (JSON text) move into segments one segment per transaction, between batches:
 * serving's rows wait for at most one segment's conversion, and drift reads the moved rows as numbers from then on.
 */
function convertStep(): void {
  if (closing) return;
  try {
    if (convert() > 0) setImmediate(convertStep);
  } catch (error) {
    // A busy store or a failed conversion leaves the rows in JSON, which every reader still reads; try again later.
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', event: 'prediction-log-convert', message: (error as Error).message })}\n`,
    );
    setTimeout(convertStep, 60_000).unref();
  }
}
setImmediate(convertStep);

// Rows come as columns per model version (prediction-log.ts), written as they are.
parentPort!.on('message', (message: { batches: LogBatch[]; errors: unknown[][] } | { close: true }) => {
  if ('close' in message) {
    closing = true;
    db.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    return;
  }
  try {
    write(message.batches, message.errors);
  } catch {
    // One bad batch (a store that refuses it) must neither take the others with it nor stop the log: each is tried
    // alone, and what still fails is reported and dropped, the thread writing on.
    for (const [batches, errors] of [
      ...message.batches.map((b) => [[b], []] as [LogBatch[], unknown[][]]),
      [[], message.errors] as [LogBatch[], unknown[][]],
    ]) {
      try {
        write(batches, errors);
      } catch (error) {
        const what =
          batches[0] === undefined
            ? `${errors.length} failed-request counts`
            : `${batches[0].ids.length} rows of ${batches[0].model} v${batches[0].version}`;
        process.stderr.write(
          `${JSON.stringify({ level: 'error', event: 'prediction-log', message: `${what} not logged: ${(error as Error).message}` })}\n`,
        );
      }
    }
  } finally {
    parentPort!.postMessage({ committed: ++committed });
  }
});
