import { parentPort } from 'node:worker_threads';
import type { Column } from '../main/table/frame.js';
import { profileColumn } from '../main/stats/profile.js';

/**
 * A profiling thread of the engine's pool (main/data/profile.ts): profiles the share of a frame's columns it is
 * sent, job after job, off the engine's event loop. It lives as long as the process.
 */
parentPort!.on('message', ({ id, columns, rowCount }: { id: number; columns: Column[]; rowCount: number }) => {
  parentPort!.postMessage({ id, profiles: columns.map((c) => profileColumn(c, rowCount)) });
});
