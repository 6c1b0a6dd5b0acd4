import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../accel/worker-thread.js';
import type { ColumnProfile } from '../contracts/api.js';
import { profileFrame } from '../stats/profile.js';
import type { Frame } from '../table/frame.js';

// The column profiling itself is pure and lives in stats/profile.ts (the worker imports it from there).

/**
 * The profiling threads: started on first use and kept (idle ones do not keep the process alive). Starting and
 * terminating threads per ingest raced V8's concurrent compiler on Node 20 and aborted the process
 * ("NodePlatform::ForIsolate … data.first") within a hundred back-to-back ingests, as HTTP push produces.
 */
interface ProfileThread {
  worker: Worker;
  waiting: Map<number, { resolve: (profiles: ColumnProfile[]) => void; reject: (error: Error) => void }>;
}
let threadsInUse: ProfileThread[] | undefined;
let nextJob = 1;

function profileThreads(count: number): ProfileThread[] {
  if (threadsInUse !== undefined && threadsInUse.length >= count) return threadsInUse;
  threadsInUse = Array.from({ length: count }, () => {
    const thread: ProfileThread = {
      worker: startWorker(new URL('../../workers/profile-worker.js', import.meta.url)),
      waiting: new Map(),
    };
    thread.worker.on('message', ({ id, profiles }: { id: number; profiles: ColumnProfile[] }) => {
      thread.waiting.get(id)?.resolve(profiles);
      thread.waiting.delete(id);
      if (thread.waiting.size === 0) thread.worker.unref();
    });
    const fail = (error: Error) => {
      for (const job of thread.waiting.values()) job.reject(error);
      thread.waiting.clear();
      // A dead thread is replaced with the whole set on the next call.
      if (threadsInUse?.includes(thread)) threadsInUse = undefined;
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`a profiling thread exited (${code})`)));
    thread.worker.unref();
    return thread;
  });
  return threadsInUse;
}

/**
 * Profiles a frame in worker threads, one per core (up to four): sorting each numeric column for its quantiles
 * dominates, and columns are independent. Small frames are profiled inline, where a thread would cost more.
 */
export async function profileFrameInWorkers(frame: Frame): Promise<ColumnProfile[]> {
  const threads = Math.min(4, availableParallelism(), frame.columns.length);
  if (frame.rowCount < 50_000 || threads < 2) return profileFrame(frame);
  const groups: number[][] = Array.from({ length: threads }, () => []);
  frame.columns.forEach((_, i) => groups[i % threads]!.push(i));
  const pool = profileThreads(threads);
  const results = await Promise.all(
    groups.map(
      (indices, g) =>
        new Promise<ColumnProfile[]>((resolve, reject) => {
          const thread = pool[g]!;
          const id = nextJob++;
          thread.waiting.set(id, { resolve, reject });
          // Referenced while it works: the caller's event loop may have nothing else to wait on.
          thread.worker.ref();
          thread.worker.postMessage({ id, columns: indices.map((i) => frame.columns[i]!), rowCount: frame.rowCount });
        }),
    ),
  );
  const out = new Array<ColumnProfile>(frame.columns.length);
  groups.forEach((indices, g) => indices.forEach((column, k) => (out[column] = results[g]![k]!)));
  return out;
}
