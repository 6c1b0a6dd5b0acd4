import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Serving metrics in the Prometheus exposition format (GET /metrics, behind the API token): requests, rows,
 * latency histograms and errors per model and version, plus the process's own (memory, CPU, event-loop lag).
 * One registry per engine rather than prom-client's global one, so two engines in one process (tests) stay apart.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'hearth_predict_requests_total',
    help: 'Prediction requests answered, by model, version and outcome',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly rows = new Counter({
    name: 'hearth_predicted_rows_total',
    help: 'Rows predicted, by model and version',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'hearth_predict_duration_seconds',
    help: 'Time to answer a prediction request inside the engine, by model and version',
    labelNames: ['model', 'version'] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
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
  private readonly callers = new Counter({
    name: 'hearth_predict_calls_total',
    help: 'Prediction requests received, by model and by the caller that sent them (principal name and role)',
    labelNames: ['model', 'caller', 'role'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hearth_' });
  }

  served(model: string, version: number, rows: number, seconds: number): void {
    const labels = { model, version: String(version) };
    this.requests.inc({ ...labels, outcome: 'ok' });
    this.rows.inc(labels, rows);
    this.latency.observe(labels, seconds);
  }

  calledBy(model: string, caller: string, role: string): void {
    this.callers.inc({ model, caller, role });
  }

  failed(model: string, code: string): void {
    this.errors.inc({ model, code });
    this.requests.inc({ model, version: 'none', outcome: 'error' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
