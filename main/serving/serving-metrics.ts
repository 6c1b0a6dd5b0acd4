import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

type LabelValues = Record<string, string | number>;
interface ExportedValue {
  labels: LabelValues;
  value: number;
  metricName?: string;
}

/**
 * A metric series set kept in plain numbers and exported in prom-client's shape at scrape time. prom-client's own
 * Counter and Histogram hash their label object (sorting its keys) on every inc() and observe(): four of them per
 * prediction were ~4 µs of a single-row request's ~80 on the HTTP thread. Here a request pays one map lookup by a
 * joined key, and the scrape (a few times a minute) pays the formatting.
 */
class Series<S> {
  private readonly byKey = new Map<string, { labels: LabelValues; state: S }>();
  /** The states by three label values, in nested maps: a request's lookups then join no key (at3). */
  private readonly byValues = new Map<string, Map<string, Map<string, S>>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly fresh: () => S,
    private readonly values: (labels: LabelValues, state: S, name: string) => ExportedValue[],
  ) {}

  /** The state of one label set; `key` must identify the label values (they are joined by the caller). */
  at(key: string, labels: () => LabelValues): S {
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { labels: labels(), state: this.fresh() };
      this.byKey.set(key, entry);
    }
    return entry.state;
  }

  /** at(), for a label set named by three values, without building its key on every call. */
  at3(a: string, b: string, c: string, labels: () => LabelValues): S {
    let byB = this.byValues.get(a);
    if (byB === undefined) this.byValues.set(a, (byB = new Map<string, Map<string, S>>()));
    let byC = byB.get(b);
    if (byC === undefined) byB.set(b, (byC = new Map<string, S>()));
    let state = byC.get(c);
    if (state === undefined) byC.set(c, (state = this.at(keyOf(a, b, c), labels)));
    return state;
  }

  get(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: 'sum' } {
    const values: ExportedValue[] = [];
    for (const { labels, state } of this.byKey.values()) values.push(...this.values(labels, state, this.name));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    this.byKey.clear();
    this.byValues.clear();
  }
}

const latencyBuckets = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

interface Latency {
  counts: Float64Array;
  sum: number;
  count: number;
}

const counter = (name: string, help: string): Series<{ value: number }> =>
  new Series(
    name,
    help,
    'counter',
    () => ({ value: 0 }),
    (labels, state) => [{ labels, value: state.value }],
  );

/**
 * How many model names that have not been served (yet) get series of their own. Every request is counted under the
 * name it asked for before that name is resolved, and a caller with the predict role could otherwise add series
 * (memory, and a scrape that grows without end) by asking for names that do not exist; past this many, such names
 * share the label "(other)", which no model can be named. Served models always keep their own.
 */
const maxUnservedModels = 100;
const otherModels = '(other)';

/** A key of label values: \u0000 cannot occur in a model name, a principal name or a role. */
const keyOf = (...values: string[]): string => values.join('\u0000');

/**
 * Serving metrics in the Prometheus exposition format (GET /metrics, behind the API token): requests, rows,
 * latency histograms and errors per model and version, plus the process's own (memory, CPU, event-loop lag).
 * One registry per engine rather than prom-client's global one, so two engines in one process (tests) stay apart.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests = counter(
    'hearth_predict_requests_total',
    'Prediction requests answered, by model, version and outcome',
  );
  private readonly rows = counter('hearth_predicted_rows_total', 'Rows predicted, by model and version');
  private readonly latency = new Series<Latency>(
    'hearth_predict_duration_seconds',
    'Time to answer a prediction request inside the engine, by model and version',
    'histogram',
    () => ({ counts: new Float64Array(latencyBuckets.length), sum: 0, count: 0 }),
    (labels, state, name) => {
      // Buckets are cumulative: each counts the observations at or below its bound.
      const values: ExportedValue[] = [];
      let cumulative = 0;
      latencyBuckets.forEach((le, b) => {
        cumulative += state.counts[b]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: state.count, metricName: `${name}_bucket` });
      values.push({ labels, value: state.sum, metricName: `${name}_sum` });
      values.push({ labels, value: state.count, metricName: `${name}_count` });
      return values;
    },
  );
  private readonly errors = new Counter({
    name: 'hearth_predict_errors_total',
    help: 'Prediction requests that failed, by model and error code',
    labelNames: ['model', 'code'] as const,
    registers: [this.registry],
  });
  /**
   * Predictions are not audited (one entry per request would swamp the log), so this is where a caller's share of
   * them shows: by principal name and role. The names are token names, console users and the server's own streams,
   * a set an admin makes, so the label stays small.
   */
  private readonly callers = counter(
    'hearth_predict_calls_total',
    'Prediction requests received, by model and by the caller that sent them (principal name and role)',
  );

  private readonly servedModels = new Set<string>();
  private readonly unservedModels = new Set<string>();

  constructor() {
    for (const series of [this.requests, this.rows, this.latency, this.callers])
      this.registry.registerMetric(series as unknown as Metric);
    collectDefaultMetrics({ register: this.registry, prefix: 'hearth_' });
  }

  /** The model label for a name asked for: its own, or "(other)" past maxUnservedModels names never served. */
  private modelLabel(model: string): string {
    if (this.servedModels.has(model) || this.unservedModels.has(model)) return model;
    if (this.unservedModels.size >= maxUnservedModels) return otherModels;
    this.unservedModels.add(model);
    return model;
  }

  served(model: string, version: number, rows: number, seconds: number): void {
    this.servedModels.add(model);
    const v = String(version);
    const labels = (): LabelValues => ({ model, version: v });
    this.requests.at3(model, v, 'ok', () => ({ ...labels(), outcome: 'ok' })).value++;
    this.rows.at3(model, v, '', labels).value += rows;
    const latency = this.latency.at3(model, v, '', labels);
    // The first bucket whose bound holds the observation (past the last: only +Inf, which is the count).
    let b = 0;
    while (b < latencyBuckets.length && seconds > latencyBuckets[b]!) b++;
    if (b < latencyBuckets.length) latency.counts[b]!++;
    latency.sum += seconds;
    latency.count++;
  }

  calledBy(asked: string, caller: string, role: string): void {
    const model = this.modelLabel(asked);
    this.callers.at3(model, caller, role, () => ({ model, caller, role })).value++;
  }

  failed(asked: string, code: string): void {
    const model = this.modelLabel(asked);
    this.errors.inc({ model, code });
    this.requests.at(keyOf(model, 'none', 'error'), () => ({ model, version: 'none', outcome: 'error' })).value++;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
