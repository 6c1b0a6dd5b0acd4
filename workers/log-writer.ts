import { parentPort, workerData } from 'node:worker_threads';
import { keyConnection } from '../main/crypto/store-key.js';
import Database from 'better-sqlite3-multiple-ciphers';

/**
 * Writes the prediction log (and the failed-request counts beside it) on its own thread and connection, so neither the inserts nor SQLite's WAL checkpoints
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
const insert = db.prepare(
  `INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json, shadow_of)
   SELECT ?, id, ?, ?, ?, ?, ?, ? FROM models WHERE name = ?`,
);
const insertError = db.prepare('INSERT INTO request_errors (model, code, at) VALUES (?, ?, ?)');
// eslint-disable-next-line @typescript-eslint/unbound-method -- better-sqlite3's variants are closures that ignore `this`
const write = db.transaction((rows: unknown[][], errors: unknown[][]) => {
  for (const row of rows) insert.run(...row);
  for (const error of errors) insertError.run(...error);
}).immediate;

parentPort!.on('message', (message: { rows: unknown[][]; errors: unknown[][] } | { close: true }) => {
  if ('close' in message) {
    db.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    return;
  }
  try {
    write(message.rows, message.errors);
  } finally {
    parentPort!.postMessage({ committed: ++committed });
  }
});
