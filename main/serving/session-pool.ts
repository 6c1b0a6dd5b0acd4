import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../accel/worker-thread.js';
import { HearthError, type SerializedError } from '../contracts/errors.js';
import { numberSetting } from '../settings/resolve.js';
import type { OrtWorkerReply, OrtWorkerRequest } from '../../workers/ort-worker.js';
import type { OrtProviderName } from '../contracts/api.js';
import type { Feeds, GraphRunner, Outputs, Placement, TensorData } from '../accel/onnx-runtime.js';
import { packTensors, unpackTensors } from '../accel/tensor-wire.js';

/** Serving threads by default: one per core but one (the HTTP thread needs its own), at most 4. */
export function defaultServingThreads(): number {
  // serving.threads: HEARTH_SERVE_THREADS, else the config file; the resolver refuses one that is not a whole number.
  return numberSetting('serving.threads') ?? Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The most rows one merged batch holds; a larger request still runs, alone. */
const maxBatchRows = 4096;

interface Pending {
  key: string;
  feeds: Feeds;
  fetches: readonly string[];
  rows: number;
  resolve: (outputs: Outputs) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** Model versions this thread has been sent (a load is in flight or done). */
  loaded: Set<string>;
  /** The batch it is running, if any: each thread runs one batch at a time. */
  running: { id: number; parts: Pending[] } | null;
  /**
   * Loads awaited on it. A worker's ref is a switch, not a count: the first of two loads to finish must not unref the
   * thread while the other still waits, or a CLI command exits with that load unsettled (exit 13, no output).
   */
  loading: number;
}

/** A thread with no batch and no awaited load may let the process exit. */
function unrefIfIdle(thread: Thread): void {
  if (thread.running === null && thread.loading === 0) thread.worker.unref();
}

/**
 * ONNX Runtime sessions held by a pool of worker threads. Each thread loads a model version the first time it is
 * asked to run it. Requests for the same version that wait while every thread is busy are merged into one batch
 * (concatenated along the row axis, split again afterwards): under load, one graph run serves many single-row
 * requests, and when the pool is idle a request goes straight to a thread with no added wait.
 */
export class SessionPool {
  private readonly threads: Thread[] = [];
  private readonly models = new Map<string, { bytes: Uint8Array; placement: Placement }>();
  private readonly queue: Pending[] = [];
  private readonly loads = new Map<string, { resolve: (placement: Placement) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private closed = false;
  /** Graph runs started and the requests they served: how much merging happened. */
  readonly counts = { runs: 0, requests: 0 };

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const worker = startWorker(new URL('../../workers/ort-worker.js', import.meta.url));
    const thread: Thread = { worker, loaded: new Set(), running: null, loading: 0 };
    worker.on('message', (reply: OrtWorkerReply) => this.onReply(thread, reply));
    worker.on('error', (error) => this.onCrash(thread, error));
    // An idle pool must not keep a finished CLI command alive; a thread with work is referenced (see dispatch).
    worker.unref();
    return thread;
  }

  /** A thread that died fails what it was running and is replaced; the sessions it held are loaded again on demand. */
  private onCrash(thread: Thread, error: Error): void {
    const i = this.threads.indexOf(thread);
    if (i < 0) return;
    for (const part of thread.running?.parts ?? [])
      part.reject(new HearthError('INTERNAL', `serving thread failed: ${error.message}`));
    for (const key of thread.loaded) this.loads.get(key)?.reject(new HearthError('MODEL_LOAD_FAILED', error.message));
    if (this.closed) return;
    this.threads[i] = this.spawn();
    this.pump();
  }

  private onReply(thread: Thread, reply: OrtWorkerReply): void {
    if (reply.type === 'loaded' || reply.type === 'load-failed') {
      const waiter = this.loads.get(reply.key);
      if (reply.type === 'load-failed') thread.loaded.delete(reply.key);
      if (waiter === undefined) return;
      this.loads.delete(reply.key);
      if (reply.type === 'loaded') waiter.resolve(reply.placement);
      else waiter.reject(toError(reply.error, 'MODEL_LOAD_FAILED'));
      return;
    }
    const running = thread.running;
    thread.running = null;
    unrefIfIdle(thread);
    if (running !== null && running.id === reply.id) {
      if (reply.type === 'ran') split(running.parts, unpackTensors(reply.outputs));
      else for (const part of running.parts) part.reject(toError(reply.error, 'INTERNAL'));
    }
    this.pump();
  }

  /**
   * Loads a model version on one thread (the others load it when first asked, placed as the first one decided)
   * and returns its runner. `provider`: the backend registry's ONNX Runtime choice.
   */
  async load(key: string, bytes: Uint8Array, provider: OrtProviderName = 'cpu'): Promise<GraphRunner> {
    if (this.closed) throw new HearthError('UNAVAILABLE', 'the serving pool is closed');
    const thread = this.threads[0]!;
    const placement = await new Promise<Placement>((resolve, reject) => {
      this.loads.set(key, { resolve, reject });
      thread.loaded.add(key);
      thread.loading++;
      thread.worker.ref();
      this.post(thread, { type: 'load', key, model: bytes, provider });
    }).finally(() => {
      thread.loading--;
      unrefIfIdle(thread);
    });
    this.models.set(key, { bytes, placement });
    return {
      executionProvider: placement.description,
      run: (feeds, fetches) => this.run(key, feeds, fetches),
      release: () => this.release(key),
    };
  }

  private run(key: string, feeds: Feeds, fetches: readonly string[]): Promise<Outputs> {
    if (this.closed) return Promise.reject(new HearthError('UNAVAILABLE', 'the serving pool is closed'));
    const rows = rowsOf(feeds);
    return new Promise<Outputs>((resolve, reject) => {
      this.queue.push({ key, feeds, fetches, rows, resolve, reject });
      this.pump();
    });
  }

  /** Hands waiting requests to idle threads, merging those for the same version and outputs into one batch. */
  private pump(): void {
    while (this.queue.length > 0) {
      const thread = this.threads.find((t) => t.running === null);
      if (thread === undefined) return;
      const first = this.queue.shift()!;
      const parts = [first];
      let rows = first.rows;
      const signature = batchSignature(first);
      for (let i = 0; i < this.queue.length && rows < maxBatchRows;) {
        const candidate = this.queue[i]!;
        if (candidate.key === first.key && rows + candidate.rows <= maxBatchRows && batchSignature(candidate) === signature) {
          parts.push(candidate);
          rows += candidate.rows;
          this.queue.splice(i, 1);
        } else i++;
      }
      const model = this.models.get(first.key);
      if (model === undefined) {
        for (const part of parts) part.reject(new HearthError('UNAVAILABLE', `${first.key} was released`));
        continue;
      }
      if (!thread.loaded.has(first.key)) {
        thread.loaded.add(first.key);
        this.post(thread, {
          type: 'load',
          key: first.key,
          model: model.bytes,
          provider: model.placement.provider,
          decided: model.placement,
        });
      }
      const id = this.nextId++;
      this.counts.runs++;
      this.counts.requests += parts.length;
      thread.running = { id, parts };
      thread.worker.ref();
      const feeds = packTensors(merge(parts));
      thread.worker.postMessage(
        { type: 'run', id, key: first.key, feeds, fetches: [...first.fetches] } satisfies OrtWorkerRequest,
        [feeds.bytes],
      );
    }
  }

  private post(thread: Thread, message: OrtWorkerRequest): void {
    thread.worker.postMessage(message);
  }

  private release(key: string): Promise<void> {
    this.models.delete(key);
    for (const thread of this.threads) {
      if (thread.loaded.delete(key)) this.post(thread, { type: 'release', key });
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new HearthError('UNAVAILABLE', 'the serving pool is closed'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

function toError(error: SerializedError, fallback: SerializedError['code']): HearthError {
  return new HearthError(error.code === 'INTERNAL' ? fallback : error.code, error.message, error.details);
}

function rowsOf(feeds: Feeds): number {
  const first = Object.values(feeds)[0];
  return first === undefined || first.dims.length === 0 ? 1 : first.dims[0]!;
}

/** Requests merge only when every feed has the same type and the same shape past the row axis. */
function batchSignature(p: Pending): string {
  const parts = [p.fetches.join(',')];
  for (const [name, t] of Object.entries(p.feeds)) parts.push(`${name}:${t.type}:${t.dims.slice(1).join('x')}:${t.dims.length}`);
  return parts.join('|');
}

function merge(parts: Pending[]): Feeds {
  if (parts.length === 1) return parts[0]!.feeds;
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const feeds: Feeds = {};
  for (const [name, t] of Object.entries(parts[0]!.feeds)) {
    const dims = [rows, ...t.dims.slice(1)];
    if (Array.isArray(t.data)) {
      feeds[name] = { type: t.type, dims, data: parts.flatMap((p) => p.feeds[name]!.data as string[]) };
      continue;
    }
    const total = parts.reduce((n, p) => n + p.feeds[name]!.data.length, 0);
    const data = new (t.data.constructor as new (n: number) => Exclude<TensorData['data'], string[]>)(total);
    let offset = 0;
    for (const p of parts) {
      const part = p.feeds[name]!.data as Exclude<TensorData['data'], string[]>;
      (data as Float64Array).set(part as Float64Array, offset);
      offset += part.length;
    }
    feeds[name] = { type: t.type, dims, data };
  }
  return feeds;
}

/** Gives each merged request its own rows of every output (outputs without a row axis go to all of them whole). */
function split(parts: Pending[], outputs: Outputs): void {
  if (parts.length === 1) {
    parts[0]!.resolve(outputs);
    return;
  }
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const results: Outputs[] = parts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== rows) {
      results.forEach((r) => (r[name] = t));
      continue;
    }
    const width = rows === 0 ? 0 : t.data.length / rows;
    let row = 0;
    parts.forEach((p, i) => {
      const data = t.data.slice(row * width, (row + p.rows) * width) as TensorData['data'];
      results[i]![name] = { type: t.type, dims: [p.rows, ...t.dims.slice(1)], data };
      row += p.rows;
    });
  }
  parts.forEach((p, i) => p.resolve(results[i]!));
}
