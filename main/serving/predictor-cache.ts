import type { OrtProviderName } from '../contracts/api.js';
import { createSession, type GraphRunner } from '../accel/onnx-runtime.js';
import { parseStoredModel } from '../models/model.js';
import { inlineRowsFor, Predictor } from '../models/predictor.js';
import type { ModelRegistry } from '../registry/registry.js';
import { defaultServingThreads, SessionPool } from './session-pool.js';
import { numberSetting } from '../settings/resolve.js';

/** serving.inlineRows: HEARTH_SERVE_INLINE_ROWS, else the config file, else 16 (see Predictor). */
function inlineServingRows(): number {
  return numberSetting('serving.inlineRows') ?? 16;
}

/**
 * Loaded ONNX sessions by model version; a version's session is created once and shared. The least recently
 * used ones are released beyond `capacity`, so a box that has served many versions does not keep them all loaded.
 */
export class PredictorCache {
  private readonly cache = new Map<string, Promise<Predictor>>();
  /** The key inserted into `cache` last (touch). */
  private newest: string | undefined;
  /** The loaded ones among them, by the same promise: what a request can take without waiting a turn (ready). */
  private readonly loaded = new WeakMap<Promise<Predictor>, Predictor>();
  private readonly capacity = 16;
  /** Null where HEARTH_SERVE_THREADS=0: sessions then run on the calling thread. Started on first use. */
  private pool: SessionPool | null | undefined;
  /** Set by close(): a warm-up still running stops there instead of starting the pool again. */
  private closed = false;

  constructor(
    private readonly registry: ModelRegistry,
    /** The ONNX Runtime provider a model is loaded on (the backend registry's choice). */
    private readonly provider: () => Promise<OrtProviderName> = () => Promise.resolve('cpu'),
  ) {}

  private session(key: string, bytes: Uint8Array, provider: OrtProviderName): Promise<GraphRunner> {
    if (this.pool === undefined) {
      const threads = defaultServingThreads();
      this.pool = threads === 0 ? null : new SessionPool(threads);
    }
    return this.pool === null ? createSession(bytes, provider) : this.pool.load(key, bytes, provider);
  }

  /** Stops the serving threads; requests still waiting fail as UNAVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
    this.pool = undefined;
    this.cache.clear();
  }

  /**
   * Forgets every loaded version, so the next request loads it again (on the provider chosen now: a new pin takes
   * effect at once). Requests holding a predictor finish on it; it is released after the same grace period as an
   * evicted one.
   */
  reloadAll(): void {
    for (const p of this.cache.values()) releaseLater(p);
    this.cache.clear();
  }

  /** Whether a model version is loaded, or loading. */
  has(model: string, version: number): boolean {
    return this.cache.has(`${model}@${version}`);
  }

  /**
   * Loads model versions ahead of their first request, one after another, up to the cache's capacity: a fresh
   * server's first prediction took 1.3–1.7 s (the serving pool's threads start, ONNX Runtime loads, the session is
   * made), and every request that came meanwhile waited behind it. A version that does not load is reported, and the
   * rest still load; the request that later asks for it gets the load's own error.
   */
  async warm(
    versions: readonly { model: string; version: number }[],
  ): Promise<{ loaded: string[]; failed: { key: string; message: string }[] }> {
    const loaded: string[] = [];
    const failed: { key: string; message: string }[] = [];
    for (const { model, version } of versions.slice(0, this.capacity)) {
      if (this.closed) break;
      const key = `${model}@${version}`;
      try {
        await this.get(model, version);
        loaded.push(key);
      } catch (e) {
        failed.push({ key, message: (e as Error).message });
      }
    }
    return { loaded, failed };
  }

  /**
   * A loaded version, marked most recently used as get marks it; undefined while it loads or when it is not cached
   * (get then loads it). A request that finds its version loaded reads it in the same turn, without an await.
   */
  ready(model: string, version: number): Predictor | undefined {
    const key = `${model}@${version}`;
    const p = this.cache.get(key);
    if (p === undefined) return undefined;
    const predictor = this.loaded.get(p);
    if (predictor !== undefined) this.touch(key, p);
    return predictor;
  }

  /**
   * Map order is insertion order: re-inserting marks the entry as most recently used. The entry inserted last is
   * already so (a server answering one model touches it on every request: a delete and a set each time).
   */
  private touch(key: string, p: Promise<Predictor>): void {
    if (key === this.newest) return;
    this.cache.delete(key);
    this.cache.set(key, p);
    this.newest = key;
  }

  get(model: string, version: number): Promise<Predictor> {
    const key = `${model}@${version}`;
    let p = this.cache.get(key);
    if (p !== undefined) this.touch(key, p);
    if (p === undefined) {
      p = (async () => {
        const stored = parseStoredModel(this.registry.modelJson(model, version));
        const provider = await this.provider();
        const loaded = await this.session(key, this.registry.onnxBytes(model, version), provider);
        // Small requests skip the graph on the CPU provider only: a GPU provider, pinned or chosen, is the graph's.
        const inline = provider === 'cpu' ? await inlineRowsFor(stored, loaded, inlineServingRows()) : 0;
        return new Predictor(model, version, stored, loaded, inline);
      })();
      const loading = p;
      loading.then(
        (predictor) => this.loaded.set(loading, predictor),
        // Only this load's entry: after reloadAll, the key may hold a newer load, which a late failure must not drop.
        () => {
          if (this.cache.get(key) === loading) this.cache.delete(key);
        },
      );
      this.cache.set(key, p);
      this.newest = key;
      if (this.cache.size > this.capacity) {
        const [oldestKey, oldest] = this.cache.entries().next().value!;
        this.cache.delete(oldestKey);
        releaseLater(oldest);
      }
    }
    return p;
  }
}

/** Requests already holding a predictor finish first: it is released only after a grace period. */
function releaseLater(predictor: Promise<Predictor>): void {
  predictor.then(
    (p) => setTimeout(() => void p.release(), 30_000).unref(),
    () => undefined,
  );
}
