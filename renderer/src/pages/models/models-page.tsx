import { useCallback, useEffect, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, Bar, BarChart } from 'recharts';
import type {
  DriftHistoryEntry,
  DriftReport,
  MetricSnapshot,
  ModelSummary,
  ModelVersionInfo,
  MonitorReport,
  ServingRoute,
} from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { saveFile } from '../../components/download.js';
import { describeError } from '../../components/errors.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

function RocChart({ points }: { points: { x: number; y: number }[] }) {
  return (
    <div data-testid="roc-chart">
      <h4>ROC curve (test rows)</h4>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={points}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, 1]}
            label={{ value: 'false positive rate', position: 'insideBottom', offset: -2 }}
          />
          <YAxis dataKey="y" type="number" domain={[0, 1]} width={40} />
          <Tooltip />
          <Line dataKey="y" stroke="#b4532a" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function ConfusionMatrix({ matrix, classes }: { matrix: number[][]; classes: string[] }) {
  const max = Math.max(1, ...matrix.flat());
  return (
    <div data-testid="confusion-matrix">
      <h4>Confusion matrix (rows: actual, columns: predicted)</h4>
      <table className="confusion">
        <thead>
          <tr>
            <th />
            {classes.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={classes[i]}>
              <th>{classes[i]}</th>
              {row.map((v, j) => (
                <td key={j} style={{ background: `rgba(180, 83, 42, ${(0.85 * v) / max})` }}>
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A version's metrics measured after training (each one is synced to the registry as a referrer of the version). */
function Snapshots({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [snapshots, setSnapshots] = useState<MetricSnapshot[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    client.call('models.snapshots', { name: model, version }).then(setSnapshots, (e: unknown) => setError(describeError(e)));
  }, [client, model, version]);
  useEffect(load, [load]);
  const evaluate = async (file: File): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const uploadId = await client.upload(file, file.name);
      await client.call('models.evaluate', { name: model, version, uploadId });
      load();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="snapshots">
      <h4>Measured since training</h4>
      {snapshots.length === 0 ? (
        <p className="muted">No evaluations yet.</p>
      ) : (
        <table data-testid="snapshots-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Rows</th>
              <th>Data</th>
              {Object.keys(snapshots[0]!.metrics).map((k) => (
                <th key={k}>{k}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {snapshots.map((s) => (
              <tr key={s.id}>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>{s.rows}</td>
                <td>
                  <code>{s.dataHash.slice(7, 19)}</code>
                </td>
                {Object.keys(snapshots[0]!.metrics).map((k) => (
                  <td key={k}>{s.metrics[k]?.toFixed(4) ?? '–'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <label>
        Evaluate on a labelled CSV file{' '}
        <input
          type="file"
          accept=".csv,text/csv"
          data-testid="evaluate-input"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) void evaluate(file);
            e.target.value = '';
          }}
        />
      </label>
      {error !== null && <p className="error">{error}</p>}
    </div>
  );
}

function VersionSelect(props: { testId: string; versions: number[]; value: string; onChange: (value: string) => void }) {
  return (
    <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      <option value="">version…</option>
      {props.versions.map((v) => (
        <option key={v} value={v}>
          v{v}
        </option>
      ))}
    </select>
  );
}

/** How many days of prediction log the model keeps, and collecting now what retention lets go. */
function LogRetentionSection({ model }: { model: string }) {
  const client = useClient();
  const [days, setDays] = useState('');
  const { message, error, run } = useOutcome();
  useEffect(() => {
    client.call('retention.list', {}).then(
      (rules) => setDays(String(rules.find((r) => r.kind === 'model' && r.name === model)?.logDays ?? '')),
      () => undefined,
    );
  }, [client, model]);
  return (
    <div data-testid="log-retention">
      <h4>Prediction log retention</h4>
      <label>
        Keep <input data-testid="log-days" value={days} onChange={(e) => setDays(e.target.value)} size={4} /> days of log
      </label>{' '}
      <button
        data-testid="log-days-set"
        onClick={() =>
          void run(async () => {
            const rule = await client.call('retention.set', {
              kind: 'model',
              name: model,
              keepVersions: null,
              logDays: Number(days),
            });
            return `${rule.name} keeps ${rule.logDays} days of prediction log.`;
          })
        }
      >
        Set
      </button>{' '}
      <button
        data-testid="gc-now"
        onClick={() =>
          void run(async () => {
            const r = await client.call('store.gc', {});
            return `Removed ${r.datasetVersionsRemoved.length} dataset versions, ${r.predictionLogRowsRemoved} log rows and ${r.blobsRemoved} blobs.`;
          })
        }
      >
        Collect now
      </button>
      <Outcome prefix="retention" message={message} error={error} />
    </div>
  );
}

/** Canary and shadow routes of a model: who answers requests that name no version, who predicts alongside. */
function RoutingSection({ model, versions }: { model: string; versions: number[] }) {
  const client = useClient();
  const [route, setRoute] = useState<ServingRoute | null>(null);
  const [canary, setCanary] = useState('');
  const [share, setShare] = useState('10');
  const [shadow, setShadow] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.call('models.route', { name: model }).then(setRoute, (e: unknown) => setError(describeError(e)));
  }, [client, model]);
  const apply = async (change: Omit<Parameters<typeof client.call<'models.set-route'>>[1], 'name'>): Promise<void> => {
    setError(null);
    try {
      setRoute(await client.call('models.set-route', { name: model, ...change }));
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div data-testid="routing">
      <h4>Routing</h4>
      <p data-testid="routing-state">
        {route === null || route.canary === null
          ? 'No canary'
          : `Canary v${route.canary.version} answers ${Math.round(route.canary.share * 100)}% of requests`}
        ;{' '}
        {route === null || route.shadow === null
          ? 'no shadow.'
          : `shadow v${route.shadow} predicts every request (logged, not returned).`}
      </p>
      <label>
        Canary <VersionSelect testId="canary-version" versions={versions} value={canary} onChange={setCanary} />
      </label>{' '}
      <label>
        share % <input data-testid="canary-share" value={share} onChange={(e) => setShare(e.target.value)} size={4} />
      </label>{' '}
      <button
        data-testid="canary-set"
        onClick={() => void apply({ canary: { version: Number(canary), share: Number(share) / 100 } })}
      >
        Start canary
      </button>{' '}
      <button onClick={() => void apply({ canary: null })}>End canary</button>{' '}
      <label>
        Shadow <VersionSelect testId="shadow-version" versions={versions} value={shadow} onChange={setShadow} />
      </label>{' '}
      <button data-testid="shadow-set" onClick={() => void apply({ shadow: Number(shadow) })}>
        Start shadow
      </button>{' '}
      <button onClick={() => void apply({ shadow: null })}>End shadow</button>
      {error !== null && <p className="error">{error}</p>}
    </div>
  );
}

/** Live performance per hour: served rows, realised metrics on late labels and the estimate from confidence. */
function MonitorSection({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [report, setReport] = useState<MonitorReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (): Promise<void> => {
    setError(null);
    try {
      setReport(await client.call('models.monitor', { name: model, version, windowSeconds: 3600 }));
    } catch (e) {
      setReport(null);
      setError(describeError(e));
    }
  };
  const metric = report?.task === 'regression' ? 'rmse' : report?.task === 'binary' ? 'roc_auc' : 'accuracy';
  return (
    <div data-testid="monitor">
      <h4>In service</h4>
      <button data-testid="monitor-load" onClick={() => void load()}>
        Show live performance
      </button>
      {error !== null && <p className="error">{error}</p>}
      {report !== null && (
        <>
          <table data-testid="monitor-table">
            <thead>
              <tr>
                <th>Hour</th>
                <th>Rows</th>
                <th>p99 latency</th>
                <th>Labelled</th>
                <th>Realised {metric}</th>
                <th>Estimated {metric}</th>
              </tr>
            </thead>
            <tbody>
              {report.windows.map((w) => (
                <tr key={w.start}>
                  <td>{new Date(w.start).toLocaleString()}</td>
                  <td>{w.rows}</td>
                  <td>{w.latencyMs.p99.toFixed(2)} ms</td>
                  <td>{w.labelled}</td>
                  <td>{w.realised?.[metric]?.toFixed(4) ?? '–'}</td>
                  <td>{w.estimated?.[metric]?.toFixed(4) ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ResponsiveContainer width="100%" height={220}>
            <LineChart
              data={report.windows.map((w) => ({
                hour: new Date(w.start).toLocaleTimeString(),
                realised: w.realised?.[metric] ?? null,
                estimated: w.estimated?.[metric] ?? null,
              }))}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="hour" />
              <YAxis width={50} domain={['auto', 'auto']} />
              <Tooltip />
              <Line dataKey="realised" stroke="#b4532a" isAnimationActive={false} connectNulls />
              <Line dataKey="estimated" stroke="#2a6bb4" strokeDasharray="4 3" isAnimationActive={false} connectNulls />
            </LineChart>
          </ResponsiveContainer>
        </>
      )}
    </div>
  );
}

/** Drift of the version's inputs and predictions: its training data against what it served in a window. */
function DriftSection({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [span, setSpan] = useState<'hour' | 'day' | 'week' | 'all'>('day');
  const [report, setReport] = useState<DriftReport | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = async (): Promise<void> => {
    setError(null);
    try {
      const hours = { hour: 1, day: 24, week: 168, all: null }[span];
      const since = hours === null ? undefined : new Date(Date.now() - hours * 3600_000).toISOString();
      const r = await client.call('models.drift', { name: model, version, ...(since === undefined ? {} : { since }) });
      setReport(r);
      setSelected(r.features.columns.find((c) => c.drifted)?.column ?? r.features.columns[0]?.column ?? null);
    } catch (e) {
      setReport(null);
      setError(describeError(e));
    }
  };
  const [history, setHistory] = useState<DriftHistoryEntry[]>([]);
  useEffect(() => {
    client.call('models.drift-history', { name: model, limit: 500 }).then(setHistory, () => setHistory([]));
  }, [client, model]);
  const columns = report === null ? [] : [...report.features.columns, report.prediction];
  const chosen = columns.find((c) => c.column === selected);
  return (
    <div data-testid="drift">
      <h4>Drift</h4>
      <label>
        Served in the last{' '}
        <select value={span} onChange={(e) => setSpan(e.target.value as typeof span)}>
          <option value="hour">hour</option>
          <option value="day">day</option>
          <option value="week">week</option>
          <option value="all">any time</option>
        </select>
      </label>{' '}
      <button data-testid="drift-check" onClick={() => void check()}>
        Check drift
      </button>
      {history.length > 0 && (
        <div data-testid="drift-history">
          <h4>Share of drifted features per hour (recorded on the schedule)</h4>
          <ResponsiveContainer width="100%" height={180}>
            <LineChart
              data={history.map((e) => ({ hour: new Date(e.windowStart).toLocaleString(), share: e.share, rows: e.rows }))}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="hour" />
              <YAxis width={40} domain={[0, 1]} />
              <Tooltip />
              <Line dataKey="share" stroke="#b4532a" isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {error !== null && <p className="error">{error}</p>}
      {report !== null && (
        <>
          <p data-testid="drift-summary">
            {report.window.rows} served rows against {report.reference.dataset} v{report.reference.version} (
            {report.reference.rows} rows): {report.features.drifted} of {report.features.columns.length} features drifted
            {report.features.datasetDrifted ? ' — the data set has drifted' : ''}.
            {report.features.skipped.map((k) => ` ${k.column}: not tested, ${k.reason}.`).join('')}
          </p>
          <table data-testid="drift-table">
            <thead>
              <tr>
                <th>Column</th>
                <th>Test</th>
                <th>Value</th>
                <th>Threshold</th>
                <th>Drift</th>
              </tr>
            </thead>
            <tbody>
              {columns.map((c) => (
                <tr
                  key={c.column}
                  data-testid={`drift-${c.column}`}
                  className={c.column === selected ? 'selected' : ''}
                  onClick={() => setSelected(c.column)}
                >
                  <td>{c.column}</td>
                  <td>{c.test}</td>
                  <td>{c.pValue === null ? c.statistic.toFixed(4) : `p = ${c.pValue.toPrecision(3)}`}</td>
                  <td>{c.threshold}</td>
                  <td className={c.drifted ? 'error' : ''}>{c.drifted ? 'drifted' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {chosen !== undefined && (
            <div data-testid="drift-chart">
              <h4>{chosen.column}: training data against served rows (share of rows)</h4>
              <ResponsiveContainer width="100%" height={240}>
                <BarChart
                  data={chosen.distribution.bins.map((bin, i) => ({
                    bin,
                    reference: chosen.distribution.reference[i],
                    current: chosen.distribution.current[i],
                  }))}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="bin" />
                  <YAxis width={40} />
                  <Tooltip />
                  <Bar dataKey="reference" name="training data" fill="#2a6bb4" isAnimationActive={false} />
                  <Bar dataKey="current" name="served" fill="#b4532a" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** Import an ONNX file made elsewhere: its inputs are read from the graph; a training CSV becomes its drift reference. */
function ImportSection({ onImported }: { onImported: (name: string) => Promise<void> }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [features, setFeatures] = useState('');
  const [classes, setClasses] = useState('');
  const [graph, setGraph] = useState<File | null>(null);
  const [reference, setReference] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const list = (text: string): string[] | undefined => {
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items.length === 0 ? undefined : items;
  };
  const submit = async (): Promise<void> => {
    if (graph === null) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const uploadId = await client.upload(graph, graph.name);
      const referenceUploadId = reference === null ? undefined : await client.upload(reference, reference.name);
      const featureList = list(features);
      const classList = list(classes);
      const info = await client.call('models.import', {
        name,
        uploadId,
        ...(target === '' ? {} : { target }),
        ...(featureList === undefined ? {} : { features: featureList }),
        ...(classList === undefined ? {} : { classes: classList }),
        ...(referenceUploadId === undefined ? {} : { referenceUploadId }),
      });
      setDone(`Imported ${info.model} v${info.version} (${info.task}): ${info.inputSchema.map((i) => i.name).join(', ')}`);
      await onImported(info.model);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details data-testid="import-onnx">
      <summary>Import an ONNX model made elsewhere</summary>
      <div className="form-grid">
        <label>
          Name <input data-testid="import-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Predicts (target) <input data-testid="import-target" value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        <label>
          Feature names (comma-separated, for one wide input){' '}
          <input data-testid="import-features" value={features} onChange={(e) => setFeatures(e.target.value)} />
        </label>
        <label>
          Class names (if the graph does not say){' '}
          <input data-testid="import-classes" value={classes} onChange={(e) => setClasses(e.target.value)} />
        </label>
        <label>
          ONNX file{' '}
          <input type="file" accept=".onnx" data-testid="import-file" onChange={(e) => setGraph(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Training data (CSV, the drift reference){' '}
          <input
            type="file"
            accept=".csv,text/csv"
            data-testid="import-reference"
            onChange={(e) => setReference(e.target.files?.[0] ?? null)}
          />
        </label>
      </div>
      <button data-testid="import-submit" disabled={busy || graph === null || name === ''} onClick={() => void submit()}>
        {busy ? 'Importing…' : 'Import'}
      </button>
      {done !== null && <p data-testid="import-done">{done}</p>}
      {error !== null && (
        <p className="error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
    </details>
  );
}

export function ModelsPage() {
  const client = useClient();
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [versions, setVersions] = useState<ModelVersionInfo[]>([]);
  const [version, setVersion] = useState<ModelVersionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(
    async (name?: string | null) => {
      const list = await client.call('models.list', {});
      setModels(list);
      const pick = name ?? list[0]?.name ?? null;
      setSelected(pick);
      if (pick !== null) {
        const vs = await client.call('models.versions', { name: pick });
        setVersions(vs);
        setVersion((current) => vs.find((v) => v.version === current?.version && v.model === pick) ?? vs[0] ?? null);
      }
    },
    [client],
  );

  useEffect(() => {
    refresh().catch((e: unknown) => setError(describeError(e)));
  }, [refresh]);

  const downloadReport = async (name: string, v: number): Promise<void> => {
    try {
      const report = await client.call('models.report', { name, version: v });
      saveFile(report.fileName, report.html, 'text/html');
    } catch (e) {
      setError(describeError(e));
    }
  };

  const [retraining, setRetraining] = useState(false);
  const [retrained, setRetrained] = useState<string | null>(null);

  const act = async (action: () => Promise<unknown>): Promise<void> => {
    setError(null);
    try {
      await action();
      await refresh(selected);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const report = version?.report as
    | {
        importance?: { feature: string; gain: number; splits: number }[];
        permutationImportance?: { feature: string; increase: number }[];
        oobScore?: { metric: string; value: number; rows: number };
        backend?: { name: string; device?: string; simd: boolean | null; skipped: { name: string; reason: string }[] };
        epochs?: number;
        bestEpoch?: number;
        crossValidation?: { folds: number; metrics: Record<string, { mean: number; std: number }> } | null;
        warnings?: { kind: string; message: string }[];
        leaderboard?:
          { algorithm: string; params: Record<string, unknown>; cv_metric: number; cv_std: number; fit_s: number }[] | null;
        search?: {
          metric: string;
          folds: number;
          trials: number;
          ensemble?: { candidates: number; members: number; cv_metric: number; best_single: number; kept: boolean } | null;
          imbalance?: {
            compared: { strategy: string; threshold: string; metric: string; cv_metric: number; cv_std: number }[];
            chosen: { strategy: string; threshold: string };
          } | null;
        } | null;
        members?: { algorithm: string; weight: number }[];
        decisionThreshold?: { threshold: number; tunedOn: string } | null;
        history?: { iteration: number; loss: number; validationLoss: number | null }[];
      }
    | undefined;
  const reportMore = version?.report as
    | {
        rocCurve?: { x: number; y: number }[];
        confusionMatrix?: number[][];
        classes?: string[];
        history?: { iteration: number; loss: number }[];
        coefficients?: { feature: string; output: string; weight: number }[];
      }
    | undefined;
  return (
    <section>
      <h2>Models</h2>
      <ImportSection onImported={(name) => refresh(name)} />
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="split">
        <ul className="list" data-testid="models-list">
          {models.map((m) => (
            <li key={m.name} className={m.name === selected ? 'selected' : ''} onClick={() => void refresh(m.name)}>
              <strong>{m.name}</strong>
              <span className="muted">
                {' '}
                {m.task} · {m.target} ·{' '}
                {Object.entries(m.aliases)
                  .map(([a, v]) => `${a} v${v}`)
                  .join(', ')}
              </span>
            </li>
          ))}
        </ul>
        <div>
          {selected !== null && (
            <>
              <div className="toolbar">
                <button data-testid="rollback" onClick={() => void act(() => client.call('models.rollback', { name: selected }))}>
                  Roll back production
                </button>
              </div>
              <table data-testid="versions-table">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Aliases</th>
                    <th>Dataset</th>
                    <th>Metrics</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {versions.map((v) => (
                    <tr
                      key={v.version}
                      data-testid={`version-row-${v.version}`}
                      className={v.version === version?.version ? 'selected' : ''}
                      onClick={() => setVersion(v)}
                    >
                      <td>v{v.version}</td>
                      <td data-testid={`aliases-${v.version}`}>{v.aliases.join(', ')}</td>
                      <td>
                        {v.dataset.name} v{v.dataset.version}
                      </td>
                      <td>
                        {Object.entries(v.metrics)
                          .slice(0, 4)
                          .map(([k, m]) => `${k} ${m.toFixed(3)}`)
                          .join(' · ')}
                      </td>
                      <td>
                        {!v.aliases.includes('production') && (
                          <button
                            data-testid={`promote-${v.version}`}
                            onClick={(e) => {
                              e.stopPropagation();
                              void act(() => client.call('models.promote', { name: selected, version: v.version }));
                            }}
                          >
                            Promote
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {version !== null && (
            <div className="card" data-testid="model-detail">
              <h3>
                {version.model} v{version.version}{' '}
                <button data-testid="download-report" onClick={() => void downloadReport(version.model, version.version)}>
                  Download report
                </button>{' '}
                <button
                  data-testid="retrain"
                  disabled={retraining}
                  title="Train a challenger with production's settings on the newest data; promote it only if it is better on its holdout"
                  onClick={() => {
                    setRetraining(true);
                    setRetrained(null);
                    void act(async () => {
                      const r = await client.call('models.retrain', { name: version.model });
                      const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
                      setRetrained(
                        `Challenger v${r.challenger.version} ${r.metric} ${fmt(r.challenger.score)} against production v${r.production.version} ${fmt(r.production.score)} on ${r.holdoutRows} held-out rows: ${r.promoted ? 'promoted' : 'kept production'} (${r.reason}).`,
                      );
                    }).finally(() => setRetraining(false));
                  }}
                >
                  {retraining ? 'Retraining…' : 'Retrain on the newest data'}
                </button>
              </h3>
              <p className="muted">
                {version.algorithm} · {version.task} · target {version.target} · trained on {version.dataset.name} v
                {version.dataset.version} · ONNX <code>{version.onnxDigest.slice(0, 19)}…</code>
              </p>
              {retrained !== null && <p data-testid="retrain-result">{retrained}</p>}
              {version.origin !== null && (
                <p className="muted" data-testid="model-origin">
                  Pulled from <code>{version.origin.url}</code> ({version.origin.reference}, remote v
                  {version.origin.remoteVersion ?? '?'}), manifest <code>{version.origin.digest.slice(0, 19)}…</code>, on{' '}
                  {new Date(version.origin.pulledAt).toLocaleString()}
                </p>
              )}
              <table data-testid="metrics-table">
                <tbody>
                  {Object.entries(version.metrics).map(([k, v]) => (
                    <tr key={k}>
                      <td>{k}</td>
                      <td data-testid={`metric-${k}`}>{v.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Snapshots model={version.model} version={version.version} />
              <RoutingSection key={`r-${version.model}`} model={version.model} versions={versions.map((v) => v.version)} />
              <LogRetentionSection key={`lr-${version.model}`} model={version.model} />
              <MonitorSection key={`m-${version.model}@${version.version}`} model={version.model} version={version.version} />
              <DriftSection key={`${version.model}@${version.version}`} model={version.model} version={version.version} />
              {report?.importance !== undefined && (
                <div data-testid="importance-chart">
                  <h4>Feature importance (total split gain)</h4>
                  <ResponsiveContainer width="100%" height={Math.max(160, report.importance.length * 20)}>
                    <BarChart data={report.importance} layout="vertical" margin={{ left: 160 }}>
                      <XAxis type="number" />
                      <YAxis type="category" dataKey="feature" width={160} interval={0} />
                      <Tooltip />
                      <Bar dataKey="gain" fill="#2a6bb4" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
              {report?.leaderboard !== undefined &&
                report.leaderboard !== null &&
                report.search !== undefined &&
                report.search !== null && (
                  <div data-testid="leaderboard">
                    <h4>
                      Search: {report.search.trials} candidates, {report.search.folds}-fold cross-validated {report.search.metric}
                    </h4>
                    <table>
                      <thead>
                        <tr>
                          <th>#</th>
                          <th>Learner</th>
                          <th>Parameters</th>
                          <th>{report.search.metric}</th>
                          <th>Seconds</th>
                        </tr>
                      </thead>
                      <tbody>
                        {report.leaderboard.slice(0, 15).map((e, i) => (
                          <tr key={i}>
                            <td>{i + 1}</td>
                            <td>{e.algorithm}</td>
                            <td>
                              <code>{describeParams(e.params)}</code>
                            </td>
                            <td>
                              {e.cv_metric.toFixed(4)} ± {e.cv_std.toFixed(4)}
                            </td>
                            <td>{e.fit_s.toFixed(1)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    {report.search.ensemble !== undefined && report.search.ensemble !== null && (
                      <p className="muted" data-testid="ensemble-summary">
                        Ensemble selection over the best {report.search.ensemble.candidates} candidates:{' '}
                        {report.search.ensemble.kept
                          ? `a blend of ${report.search.ensemble.members} scored ${report.search.ensemble.cv_metric.toFixed(4)} against the best single ${report.search.ensemble.best_single.toFixed(4)}, so the blend was kept`
                          : `no blend beat the best single candidate (${report.search.ensemble.best_single.toFixed(4)})`}
                        {report.members !== undefined
                          ? ` — members: ${report.members.map((m) => `${m.algorithm} ${(m.weight * 100).toFixed(0)}%`).join(', ')}`
                          : ''}
                      </p>
                    )}
                    {report.search.imbalance !== undefined && report.search.imbalance !== null && (
                      <div data-testid="imbalance-table">
                        <h4>
                          Imbalance treatments (cross-validated); kept: {report.search.imbalance.chosen.strategy}, threshold{' '}
                          {report.search.imbalance.chosen.threshold}
                        </h4>
                        <table>
                          <thead>
                            <tr>
                              <th>Treatment</th>
                              <th>Threshold</th>
                              <th>Metric</th>
                              <th>Value</th>
                            </tr>
                          </thead>
                          <tbody>
                            {report.search.imbalance.compared.map((r, i) => (
                              <tr key={i}>
                                <td>{r.strategy}</td>
                                <td>{r.threshold}</td>
                                <td>{r.metric}</td>
                                <td>
                                  {r.cv_metric.toFixed(4)} ± {r.cv_std.toFixed(4)}
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    )}
                  </div>
                )}
              {report?.warnings !== undefined && report.warnings.length > 0 && (
                <ul className="warnings" data-testid="model-warnings">
                  {report.warnings.map((w) => (
                    <li key={w.message} className="error">
                      {w.message}
                    </li>
                  ))}
                </ul>
              )}
              {report?.crossValidation !== undefined && report.crossValidation !== null && (
                <div data-testid="cross-validation">
                  <h4>{report.crossValidation.folds}-fold cross-validation (training rows)</h4>
                  <table>
                    <tbody>
                      {Object.entries(report.crossValidation.metrics).map(([k, m]) => (
                        <tr key={k}>
                          <td>{k}</td>
                          <td>
                            {m.mean.toFixed(4)} ± {m.std.toFixed(4)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {report?.decisionThreshold !== undefined && report.decisionThreshold !== null && (
                <p className="muted" data-testid="decision-threshold">
                  Decision threshold {report.decisionThreshold.threshold.toFixed(3)} (tuned for F1 on the{' '}
                  {report.decisionThreshold.tunedOn} rows); the metrics above use it.
                </p>
              )}
              {report?.backend !== undefined && (
                <p className="muted" data-testid="mlp-backend">
                  Trained on the TensorFlow.js <strong>{report.backend.name}</strong> back end
                  {report.backend.device !== undefined
                    ? ` (${report.backend.device})`
                    : report.backend.simd === true
                      ? ' (SIMD)'
                      : ''}
                  {report.backend.skipped.length > 0
                    ? `; passed over: ${report.backend.skipped.map((b) => `${b.name} (${b.reason})`).join('; ')}`
                    : ''}
                  {report.epochs !== undefined ? `; ${report.epochs} epochs, best ${report.bestEpoch ?? '?'}` : ''}
                </p>
              )}
              {report?.oobScore !== undefined && (
                <p className="muted" data-testid="oob-score">
                  Out-of-bag {report.oobScore.metric}: {report.oobScore.value.toFixed(4)} on {report.oobScore.rows} training rows
                </p>
              )}
              {report?.permutationImportance !== undefined && report.permutationImportance.length > 0 && (
                <div data-testid="permutation-chart">
                  <h4>Permutation importance (validation loss increase when a feature is shuffled)</h4>
                  <ResponsiveContainer width="100%" height={Math.max(160, report.permutationImportance.length * 20)}>
                    <BarChart data={report.permutationImportance} layout="vertical" margin={{ left: 160 }}>
                      <XAxis type="number" />
                      <YAxis type="category" dataKey="feature" width={160} interval={0} />
                      <Tooltip />
                      <Bar dataKey="increase" fill="#6b8e23" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
              {report?.history !== undefined && report.history.length > 1 && (
                <>
                  <h4>Training curve</h4>
                  <ResponsiveContainer width="100%" height={200}>
                    <LineChart data={report.history}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="iteration" />
                      <YAxis domain={['auto', 'auto']} width={60} />
                      <Tooltip />
                      <Line dataKey="loss" name="training loss" stroke="#b4532a" dot={false} isAnimationActive={false} />
                      <Line
                        dataKey="validationLoss"
                        name="validation loss"
                        stroke="#2a6bb4"
                        dot={false}
                        isAnimationActive={false}
                      />
                    </LineChart>
                  </ResponsiveContainer>
                </>
              )}
              {reportMore?.rocCurve !== undefined && <RocChart points={reportMore.rocCurve} />}
              {reportMore?.confusionMatrix !== undefined && reportMore.classes !== undefined && (
                <ConfusionMatrix matrix={reportMore.confusionMatrix} classes={reportMore.classes} />
              )}
              {reportMore?.coefficients !== undefined && (
                <>
                  <h4>Largest coefficients (standardised features)</h4>
                  <ResponsiveContainer width="100%" height={Math.max(160, reportMore.coefficients.length * 18)}>
                    <BarChart
                      data={reportMore.coefficients.map((c) => ({ name: `${c.feature} → ${c.output}`, weight: c.weight }))}
                      layout="vertical"
                      margin={{ left: 200 }}
                    >
                      <XAxis type="number" />
                      <YAxis type="category" dataKey="name" width={200} interval={0} />
                      <Tooltip />
                      <Bar dataKey="weight" fill="#2a6bb4" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </>
              )}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

/** A leaderboard entry's parameters in one line; an ensemble lists its members and weights. */
function describeParams(params: Record<string, unknown>): string {
  if (params.algorithm === 'ensemble' && Array.isArray(params.members)) {
    return (params.members as { algorithm: string; weight: number }[])
      .map((m) => `${m.algorithm} ×${m.weight.toFixed(2)}`)
      .join(' + ');
  }
  return Object.entries(params)
    .filter(([k]) => k !== 'algorithm')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}
