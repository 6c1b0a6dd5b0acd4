import { useCallback, useEffect, useState } from 'react';
import type { Overview } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { SearchBox, SortHeader, useListView, type SortColumn } from '../../components/list-view.js';

type ProductionRow = Overview['production'][number];
const productionColumns: SortColumn<ProductionRow>[] = [
  { key: 'model', value: (p) => p.model },
  { key: 'metric', value: (p) => p.metric?.value ?? null },
  { key: 'served', value: (p) => p.served.rows },
  { key: 'latency', value: (p) => p.served.latencyP99Ms },
  { key: 'live', value: (p) => p.served.realised ?? p.served.estimated },
  { key: 'drift', value: (p) => p.drift?.share ?? null },
  { key: 'alerts', value: (p) => p.openAlerts },
];
const productionText = (p: ProductionRow): string => `${p.model} ${p.algorithm} ${p.task}`;
const noRows: ProductionRow[] = [];

/** Where a row of the overview leads: a page, and the item to open there. */
export type OpenTarget = { page: 'models' | 'datasets' | 'runs' | 'train' | 'alerts' | 'sync'; item?: string };

const fixed = (x: number | null, digits = 3): string => (x === null ? '–' : x.toFixed(digits));
const ago = (iso: string): string => {
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
};

/**
 * The landing page: what is serving and how it is doing, what is running, what changed, and what waits to sync.
 * Every row opens its page. Refreshed every 10 s while shown, so a running job's progress moves.
 */
export function OverviewPage({ onOpen }: { onOpen: (target: OpenTarget) => void }) {
  const client = useClient();
  const [overview, setOverview] = useState<Overview | null>(null);
  const { error, fail } = useCall();
  const models = useListView(overview?.production ?? noRows, productionText, productionColumns);
  const refresh = useCallback(() => {
    client.call('system.overview', {}).then(setOverview, fail);
  }, [client, fail]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 10_000);
    return () => clearInterval(timer);
  }, [refresh]);
  const link = (target: OpenTarget, text: string, testId?: string) => (
    <button className="link" data-testid={testId} onClick={() => onOpen(target)}>
      {text}
    </button>
  );
  return (
    <section data-testid="overview">
      <h2>Overview</h2>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {overview === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <h3>In production</h3>
          {overview.production.length === 0 ? (
            <p className="muted" data-testid="overview-no-production">
              No model is in production yet: {link({ page: 'train' }, 'train one')}, then promote a version on its model page.
            </p>
          ) : (
            <>
              {overview.production.length > 5 && (
                <SearchBox
                  testId="overview-production"
                  label="Search models in production"
                  value={models.query}
                  onChange={models.setQuery}
                  shown={models.shown.length}
                  total={overview.production.length}
                />
              )}
              <table data-testid="overview-production">
                <thead>
                  <tr>
                    {(
                      [
                        ['model', 'Model'],
                        ['metric', 'Test metric'],
                        ['served', 'Served (24 h)'],
                        ['latency', 'p99 latency'],
                        ['live', 'Live metric'],
                        ['drift', 'Drift'],
                        ['alerts', 'Alerts'],
                      ] as const
                    ).map(([key, label]) => (
                      <SortHeader
                        key={key}
                        label={label}
                        column={key}
                        sort={models.sort}
                        onSort={models.toggle}
                        testId="overview-production"
                      />
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {models.shown.map((p) => (
                    <tr key={p.model} data-testid={`overview-model-${p.model}`}>
                      <td>
                        {link({ page: 'models', item: p.model }, `${p.model} v${p.version}`)}
                        <div className="muted">
                          {p.algorithm}, {p.task}
                        </div>
                      </td>
                      <td>{p.metric === null ? '–' : `${p.metric.name} ${fixed(p.metric.value)}`}</td>
                      <td data-testid={`overview-served-${p.model}`}>
                        {p.served.rows.toLocaleString()} row{p.served.rows === 1 ? '' : 's'}
                      </td>
                      <td>{p.served.latencyP99Ms === null ? '–' : `${p.served.latencyP99Ms.toFixed(1)} ms`}</td>
                      <td>
                        {p.served.realised !== null
                          ? `${fixed(p.served.realised)} (labelled)`
                          : p.served.estimated !== null
                            ? `≈ ${fixed(p.served.estimated)} (estimated)`
                            : '–'}
                      </td>
                      <td className={p.drift?.datasetDrifted === true ? 'error' : ''}>
                        {p.drift === null
                          ? 'no window yet'
                          : `${(100 * p.drift.share).toFixed(0)}% of columns${p.drift.datasetDrifted ? ': drifted' : ''}`}
                      </td>
                      <td className={p.openAlerts > 0 ? 'error' : ''}>
                        {p.openAlerts === 0 ? 'none' : link({ page: 'alerts' }, `${p.openAlerts} firing`)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {overview.unpromoted.length > 0 && (
            <p className="muted">
              Not in production:{' '}
              {overview.unpromoted.map((u, i) => (
                <span key={u.model}>
                  {i > 0 && ', '}
                  {link({ page: 'models', item: u.model }, `${u.model} (v${u.latestVersion})`)}
                </span>
              ))}
            </p>
          )}
          <h3>Jobs running</h3>
          {overview.jobs.length === 0 ? (
            <p className="muted">None. {link({ page: 'train' }, 'Train a model')}</p>
          ) : (
            <ul data-testid="overview-jobs">
              {overview.jobs.map((j) => (
                <li key={j.id}>
                  {j.algorithm} on {j.dataset}
                  {j.model === null ? '' : ` → ${j.model}`}: {j.status}
                  {j.progress !== null && (
                    <>
                      {' '}
                      <progress max={1} value={j.progress.fraction} /> {(100 * j.progress.fraction).toFixed(0)}% (
                      {j.progress.phase})
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h3>Recent runs</h3>
          {overview.recentRuns.length === 0 ? (
            <p className="muted">No runs yet.</p>
          ) : (
            <table data-testid="overview-runs">
              <tbody>
                {overview.recentRuns.map((r) => (
                  <tr key={r.id}>
                    <td>{link({ page: 'runs', item: r.id }, r.id.slice(0, 8))}</td>
                    <td className={r.status === 'failed' ? 'error' : ''}>{r.status}</td>
                    <td>{r.algorithm}</td>
                    <td>{r.model === null ? '–' : `${r.model} v${r.version ?? '?'}`}</td>
                    <td>{r.metric === null ? '' : `${r.metric.name} ${fixed(r.metric.value)}`}</td>
                    <td className="muted">{ago(r.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Datasets</h3>
          {overview.datasets.length === 0 ? (
            <p className="muted">No data yet: {link({ page: 'datasets' }, 'ingest a file')}.</p>
          ) : (
            <table data-testid="overview-datasets">
              <tbody>
                {overview.datasets.map((d) => (
                  <tr key={d.name}>
                    <td>{link({ page: 'datasets', item: d.name }, `${d.name} v${d.latestVersion}`)}</td>
                    <td>{d.rows.toLocaleString()} rows</td>
                    <td className={d.quarantined > 0 ? 'error' : ''}>{d.quarantined.toLocaleString()} quarantined</td>
                    <td>{d.rules === 0 ? 'no quality rules' : `${d.rules} quality rules`}</td>
                    <td className="muted">{ago(d.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Alerts and sync</h3>
          <p data-testid="overview-sync">
            {link({ page: 'alerts' }, `${overview.alerts.firing} alerts firing`)} ·{' '}
            {link(
              { page: 'sync' },
              `${overview.sync.pending} waiting to sync to ${overview.sync.remotes} remote${overview.sync.remotes === 1 ? '' : 's'}`,
            )}
            {overview.sync.failed > 0 && <span className="error"> · {overview.sync.failed} failed attempts</span>}
            {overview.sync.lastError !== null && <span className="error"> · last error: {overview.sync.lastError}</span>}
          </p>
        </>
      )}
    </section>
  );
}
