import type { ApiResults, Overview, ProductionModel } from '../contracts/api.js';
import type { CallContext, Handler } from '../contracts/call.js';

/** The methods the overview reads through: the same a caller could call, under the caller's own context. */
type Needed =
  | 'models.list'
  | 'models.version'
  | 'models.monitor'
  | 'models.drift-history'
  | 'alerts.list'
  | 'training.list'
  | 'runs.list'
  | 'datasets.list'
  | 'datasets.version'
  | 'rules.get'
  | 'sync.status';
type Readers = { [K in Needed]: Handler<K> };

/**
 * The headline metric of a set of test metrics: ROC AUC for classifiers (one-vs-rest for multiclass), RMSE for
 * regression, accuracy where no AUC was computed. Runs record no task, so models and runs are read the same way.
 */
export function headlineMetric(metrics: Record<string, number>): { name: string; value: number } | null {
  for (const name of ['roc_auc', 'rmse', 'accuracy', 'r2'])
    if (typeof metrics[name] === 'number') return { name, value: metrics[name] };
  return null;
}

const day = 86_400;

/**
 * system.overview: composed from the other read methods' handlers, called with the caller's context, so it shows
 * exactly what that caller could read one method at a time, and each domain keeps its own rules. Lives in the
 * composition root because it spans every domain.
 */
export function overviewHandler(readers: Readers): Handler<'system.overview'> {
  return async (_args, context: CallContext): Promise<Overview> => {
    const call = <K extends Needed>(method: K, args: Parameters<Handler<K>>[0]): Promise<ApiResults[K]> =>
      (readers[method] as Handler<K>)(args, context);
    const [models, firing, jobs, runs, datasets, sync] = await Promise.all([
      call('models.list', {}),
      call('alerts.list', { firing: true }),
      call('training.list', {}),
      call('runs.list', {}),
      call('datasets.list', {}),
      call('sync.status', {}),
    ]);
    const since = new Date(Date.now() - day * 1000).toISOString();
    const production: ProductionModel[] = await Promise.all(
      models
        .filter((m) => m.aliases.production !== undefined)
        .map(async (m): Promise<ProductionModel> => {
          const version = m.aliases.production!;
          const [info, monitor, drift] = await Promise.all([
            call('models.version', { name: m.name, version }),
            call('models.monitor', { name: m.name, version, since, windowSeconds: day }).catch(() => null),
            call('models.drift-history', { name: m.name, limit: 1 }).catch(() => []),
          ]);
          const windows = monitor?.windows ?? [];
          const rows = windows.reduce((n, w) => n + w.rows, 0);
          const busiest = windows.filter((w) => w.rows > 0).at(-1);
          const metric = headlineMetric(info.metrics);
          const pick = (values: Record<string, number> | null | undefined): number | null =>
            metric === null ? null : (values?.[metric.name] ?? null);
          const last = drift.at(-1);
          return {
            model: m.name,
            version,
            task: m.task,
            algorithm: info.algorithm,
            metric,
            served: {
              rows,
              latencyP99Ms: busiest?.latencyMs.p99 ?? null,
              realised: pick(busiest?.realised),
              estimated: pick(busiest?.estimated),
            },
            drift:
              last === undefined || last.version !== version
                ? null
                : {
                    windowEnd: last.windowEnd,
                    share: last.share,
                    datasetDrifted: last.datasetDrifted,
                    predictionDrifted: last.predictionDrifted,
                  },
            openAlerts: firing.filter((a) => a.model === m.name).length,
          };
        }),
    );
    const datasetRows = await Promise.all(
      datasets.map(async (d) => {
        const [latest, rules] = await Promise.all([
          call('datasets.version', { name: d.name, version: d.latestVersion }),
          call('rules.get', { name: d.name }),
        ]);
        return {
          name: d.name,
          latestVersion: d.latestVersion,
          rows: d.rows,
          quarantined: latest.quarantined,
          rules: rules.length,
          updatedAt: d.updatedAt,
        };
      }),
    );
    const newestFirst = [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return {
      production,
      unpromoted: models
        .filter((m) => m.aliases.production === undefined)
        .map((m) => ({ model: m.name, latestVersion: m.latestVersion })),
      jobs: jobs
        .filter((j) => j.status === 'queued' || j.status === 'running')
        .map((j) => ({
          id: j.id,
          status: j.status,
          createdAt: j.createdAt,
          progress: j.progress,
          model: j.args.model ?? null,
          dataset: j.args.dataset,
          algorithm: j.args.algorithm,
        })),
      recentRuns: newestFirst.slice(0, 8).map((r) => {
        return {
          id: r.id,
          status: r.status,
          createdAt: r.createdAt,
          model: r.model,
          version: r.version,
          algorithm: r.algorithm,
          metric: headlineMetric(r.metrics),
        };
      }),
      datasets: datasetRows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)),
      alerts: { firing: firing.length },
      sync: { pending: sync.pending, failed: sync.failed, remotes: sync.remotes.length, lastError: sync.lastError },
      generatedAt: new Date().toISOString(),
    };
  };
}
