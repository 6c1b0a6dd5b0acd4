import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunComparison, RunSummary } from '../../../main/contracts/api.js';
import { useClient } from '../App.js';
import { describeError } from '../errors.js';

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
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    client.call('runs.list', {}).then(setRuns, (e: unknown) => setError(describeError(e)));
  }, [client]);

  const compare = async (): Promise<void> => {
    setError(null);
    try {
      setComparison(await client.call('runs.compare', { ids: picked }));
    } catch (e) {
      setError(describeError(e));
    }
  };

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
              <td>{r.durationMs === null ? '' : (r.durationMs / 1000).toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button data-testid="runs-compare" disabled={picked.length < 2} onClick={() => void compare()}>
        Compare {picked.length} runs
      </button>
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
        </div>
      )}
    </section>
  );
}
