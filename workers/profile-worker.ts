import { parentPort, workerData } from 'node:worker_threads';
import type { Column } from '../main/data/frame.js';
import { profileColumn } from '../main/data/profile.js';

/** Profiles a share of a frame's columns off the engine's event loop; the pool runs one per core. */
const { columns, rowCount } = workerData as { columns: Column[]; rowCount: number };
parentPort!.postMessage(columns.map((c) => profileColumn(c, rowCount)));
