import { useState } from 'react';
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
import type { RunComparison } from '../../../../main/contracts/api.js';
import { palette, referenceColour } from '../../components/charts.js';

/** One colour per run in every comparison chart. */
export const colours = palette;

/** Several runs' curves in one unit-square chart. */
export function Overlay({
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
              stroke={referenceColour}
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

/** Feature rankings side by side: permutation importance (every learner) and the SHAP summary (tree models). */
export function Explanations({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
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
export function Trials({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
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
            <select
              data-testid="runs-trial-param"
              aria-label="Hyper-parameter"
              value={chosen}
              onChange={(e) => setParam(e.target.value)}
            >
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
