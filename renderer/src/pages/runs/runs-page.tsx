import { useEffect, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { RunComparison, RunSummary } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';
import { RunBudget } from './run-budget.js';

const colours = ['#b4532a', '#2a6bb4', '#6b8e23', '#8e236b', '#238e86', '#8e7a23'];

/** Several runs' curves in one unit-square chart. */
function Overlay({
  title,
  xLabel,
  series,
  diagonal = false,
}: {
  title: string;
  xLabel: string;
  series: { name: string; points: { x: number; y: number }[] | null }[];
  diagonal?: boolean;
}) {
  return (
    <div>
      <h4>{title}</h4>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="x" type="number" domain={[0, 1]} label={{ value: xLabel, position: 'insideBottom', offset: -2 }} />
          <YAxis dataKey="y" type="number" domain={[0, 1]} width={40} />
          <Tooltip />
          <Legend />
          {diagonal && (
            <Line
              data={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
              dataKey="y"
              name="perfect calibration"
              stroke="#bbb"
              strokeDasharray="4 4"
              dot={false}
              isAnimationActive={false}
            />
          )}
          {series.map((s, i) =>
            s.points === null ? null : (
              <Line
                key={s.name + i}
                data={s.points}
                dataKey="y"
                name={s.name}
                stroke={colours[i % colours.length]}
                dot={diagonal}
                isAnimationActive={false}
              />
            ),
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Training runs as experiments: pick some, see their metrics, parameters, resources and ROC curves side by side. */
export function RunsPage() {
  const client = useClient();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [comparison, setComparison] = useState<RunComparison | null>(null);
  const { error, run, fail } = useCall();

  useEffect(() => {
    client.call('runs.list', {}).then(setRuns, fail);
  }, [client, fail]);

  const compare = () => run(async () => setComparison(await client.call('runs.compare', { ids: picked })));

  const label = (id: string): string => {
    const r = comparison?.runs.find((x) => x.id === id);
    return r === undefined ? id.slice(0, 8) : `${r.algorithm} ${r.model ?? ''} v${r.version ?? '?'}`;
  };

  return (
    <section>
      <h2>Runs</h2>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table data-testid="runs-table">
        <thead>
          <tr>
            <th />
            <th>Run</th>
            <th>Status</th>
            <th>Learner</th>
            <th>Data</th>
            <th>Model</th>
            <th>Metrics</th>
            <th>Seconds</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <input
                  type="checkbox"
                  data-testid={`run-pick-${r.id}`}
                  disabled={r.status !== 'succeeded'}
                  checked={picked.includes(r.id)}
                  onChange={(e) => setPicked(e.target.checked ? [...picked, r.id] : picked.filter((p) => p !== r.id))}
                />
              </td>
              <td>
                <code>{r.id.slice(0, 8)}</code>
              </td>
              <td>{r.status}</td>
              <td>{r.algorithm}</td>
              <td>
                {r.dataset} v{r.datasetVersion ?? '?'} → {r.target}
              </td>
              <td>{r.model === null ? '' : `${r.model} v${r.version}`}</td>
              <td>
                {Object.entries(r.metrics)
                  .slice(0, 3)
                  .map(([k, v]) => `${k} ${v.toFixed(3)}`)
                  .join(' · ')}
              </td>
              <td>
                <RunBudget id={r.id} durationMs={r.durationMs} budget={r.budget} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionButton data-testid="runs-compare" disabled={picked.length < 2} action={compare}>
        Compare {picked.length} runs
      </ActionButton>
      {comparison !== null && (
        <div className="card" data-testid="runs-comparison">
          <table>
            <thead>
              <tr>
                <th />
                {comparison.runs.map((r) => (
                  <th key={r.id}>{label(r.id)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {comparison.metrics.map((m) => (
                <tr key={m}>
                  <td>{m}</td>
                  {comparison.runs.map((r) => (
                    <td key={r.id}>{r.metrics[m]?.toFixed(4) ?? '–'}</td>
                  ))}
                </tr>
              ))}
              {(['fitMs', 'peakRssMb', 'modelBytes', 'predictLatencyUs'] as const).map((k) => (
                <tr key={k} className="muted">
                  <td>{k}</td>
                  {comparison.runs.map((r) => (
                    <td key={r.id}>{comparison.resources[r.id]?.[k] ?? '–'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {comparison.runs.some((r) => comparison.curves[r.id] !== null) && (
            <div className="grid" data-testid="runs-curves">
              <Overlay
                title="ROC curves"
                xLabel="false positive rate"
                series={comparison.runs.map((r) => ({ name: label(r.id), points: comparison.curves[r.id] ?? null }))}
              />
              <Overlay
                title="Precision–recall curves"
                xLabel="recall"
                series={comparison.runs.map((r) => ({ name: label(r.id), points: comparison.prCurves[r.id] ?? null }))}
              />
              <Overlay
                title="Calibration (observed share against predicted probability)"
                xLabel="predicted probability"
                series={comparison.runs.map((r) => ({
                  name: label(r.id),
                  points: comparison.calibration[r.id]?.map((b) => ({ x: b.predicted, y: b.observed })) ?? null,
                }))}
                diagonal
              />
            </div>
          )}
          <Explanations comparison={comparison} label={label} />
          <Trials comparison={comparison} label={label} />
          {comparison.runs.some((r) => comparison.confusion[r.id] !== null) && (
            <div className="grid" data-testid="runs-confusion">
              {comparison.runs.map((r) => {
                const c = comparison.confusion[r.id];
                if (c === null || c === undefined) return null;
                return (
                  <div key={r.id}>
                    <h4>Confusion matrix, {label(r.id)}</h4>
                    <table>
                      <thead>
                        <tr>
                          <th>actual ↓ predicted →</th>
                          {c.classes.map((k) => (
                            <th key={k}>{k}</th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {c.matrix.map((row, i) => (
                          <tr key={i}>
                            <td>{c.classes[i]}</td>
                            {row.map((v, j) => (
                              <td key={j}>{v}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                );
              })}
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** Feature rankings side by side: permutation importance (every learner) and the SHAP summary (tree models). */
function Explanations({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
  const charts = [
    {
      title: 'Permutation importance (validation loss increase)',
      testId: 'runs-importance',
      values: (id: string) => comparison.importance[id]?.map((e) => ({ feature: e.feature, value: e.increase })) ?? null,
    },
    {
      title: 'SHAP summary (mean |contribution|)',
      testId: 'runs-shap',
      values: (id: string) => comparison.shap[id]?.map((e) => ({ feature: e.feature, value: e.meanAbs })) ?? null,
    },
  ];
  return (
    <div className="grid">
      {charts.map((chart) => {
        const byRun = comparison.runs.map((r) => ({ id: r.id, values: chart.values(r.id) }));
        if (byRun.every((r) => r.values === null || r.values.length === 0)) return null;
        // The top features over all runs, one bar per run each.
        const features = [...new Set(byRun.flatMap((r) => (r.values ?? []).slice(0, 10).map((v) => v.feature)))].slice(0, 12);
        const data = features.map((feature) => ({
          feature,
          ...Object.fromEntries(byRun.map((r) => [label(r.id), r.values?.find((v) => v.feature === feature)?.value ?? 0])),
        }));
        return (
          <div key={chart.testId} data-testid={chart.testId}>
            <h4>{chart.title}</h4>
            <ResponsiveContainer width="100%" height={Math.max(200, features.length * 28)}>
              <BarChart data={data} layout="vertical" margin={{ left: 140 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" />
                <YAxis type="category" dataKey="feature" width={140} />
                <Tooltip />
                <Legend />
                {byRun.map((r, i) => (
                  <Bar key={r.id} dataKey={label(r.id)} fill={colours[i % colours.length]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
        );
      })}
    </div>
  );
}

/** Search runs: the metric of every trial in order, and against a chosen hyper-parameter. */
function Trials({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
  const searched = comparison.runs.filter((r) => comparison.trials[r.id] !== null && comparison.trials[r.id] !== undefined);
  const numericParams = [
    ...new Set(
      searched.flatMap((r) =>
        comparison.trials[r.id]!.entries.flatMap((e) => Object.keys(e.params).filter((k) => typeof e.params[k] === 'number')),
      ),
    ),
  ].sort();
  const [param, setParam] = useState('');
  const chosen = param !== '' && numericParams.includes(param) ? param : (numericParams[0] ?? '');
  if (searched.length === 0) return null;
  const metric = comparison.trials[searched[0]!.id]!.metric;
  return (
    <div className="grid" data-testid="runs-trials">
      <div>
        <h4>Cross-validated {metric} per trial</h4>
        <ResponsiveContainer width="100%" height={240}>
          <ScatterChart>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="trial" type="number" name="trial" allowDecimals={false} />
            <YAxis dataKey="value" type="number" name={metric} domain={['auto', 'auto']} width={60} />
            <Tooltip />
            <Legend />
            {searched.map((r, i) => (
              <Scatter
                key={r.id}
                name={label(r.id)}
                data={comparison.trials[r.id]!.entries.map((e) => ({ trial: e.trial, value: e.cvMetric }))}
                fill={colours[i % colours.length]}
                isAnimationActive={false}
              />
            ))}
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      {numericParams.length > 0 && (
        <div>
          <h4>
            {metric} against{' '}
            <select data-testid="runs-trial-param" value={chosen} onChange={(e) => setParam(e.target.value)}>
              {numericParams.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </h4>
          <ResponsiveContainer width="100%" height={240}>
            <ScatterChart>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="x" type="number" name={chosen} domain={['auto', 'auto']} />
              <YAxis dataKey="value" type="number" name={metric} domain={['auto', 'auto']} width={60} />
              <Tooltip />
              <Legend />
              {searched.map((r, i) => (
                <Scatter
                  key={r.id}
                  name={label(r.id)}
                  data={comparison.trials[r.id]!.entries.filter((e) => typeof e.params[chosen] === 'number').map((e) => ({
                    x: e.params[chosen] as number,
                    value: e.cvMetric,
                  }))}
                  fill={colours[i % colours.length]}
                  isAnimationActive={false}
                />
              ))}
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      )}
    </div>
  );
}
