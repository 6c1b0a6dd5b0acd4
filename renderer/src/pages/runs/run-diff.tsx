import { useState } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunComparison } from '../../../../main/contracts/api.js';
import { colours } from './comparison-charts.js';

function shown(value: unknown): string {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The parameters the compared runs do not share (runs.compare's differingParams): what changed between them. */
export function ParamDiff({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
  return (
    <div data-testid="runs-param-diff">
      <h4>Parameters that differ</h4>
      {comparison.differingParams.length === 0 ? (
        <p className="muted">Every parameter is the same in these runs.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>parameter</th>
              {comparison.runs.map((r) => (
                <th key={r.id}>{label(r.id)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {comparison.differingParams.map((p) => (
              <tr key={p} data-testid={`param-diff-${p}`}>
                <td>{p}</td>
                {comparison.runs.map((r) => (
                  <td key={r.id}>{shown(comparison.params[r.id]?.[p])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const costs = {
  fit: { label: 'fit time (ms)', of: (r: RunComparison['resources'][string]) => r.fitMs ?? r.durationMs },
  size: { label: 'model size (bytes)', of: (r: RunComparison['resources'][string]) => r.modelBytes },
} as const;

/** What each run cost (its fit time or its model's size) against what it scored: the trade-off in one chart. */
export function CostQuality({ comparison, label }: { comparison: RunComparison; label: (id: string) => string }) {
  const [cost, setCost] = useState<keyof typeof costs>('fit');
  const [metricChoice, setMetric] = useState('');
  const metric = comparison.metrics.includes(metricChoice) ? metricChoice : (comparison.metrics[0] ?? '');
  const points = comparison.runs.map((r) => {
    const resources = comparison.resources[r.id];
    return { id: r.id, x: resources === undefined ? null : costs[cost].of(resources), y: r.metrics[metric] ?? null };
  });
  const missing = points.filter((p) => p.x === null || p.y === null).length;
  return (
    <div data-testid="runs-cost-quality">
      <h4>
        <select
          data-testid="runs-cost-metric"
          aria-label="Quality metric"
          value={metric}
          onChange={(e) => setMetric(e.target.value)}
        >
          {comparison.metrics.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>{' '}
        against{' '}
        <select
          data-testid="runs-cost-axis"
          aria-label="Cost measure"
          value={cost}
          onChange={(e) => setCost(e.target.value as keyof typeof costs)}
        >
          {Object.entries(costs).map(([k, c]) => (
            <option key={k} value={k}>
              {c.label}
            </option>
          ))}
        </select>
      </h4>
      <ResponsiveContainer width="100%" height={260}>
        <ScatterChart margin={{ bottom: 10 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="x" type="number" name={costs[cost].label} domain={['auto', 'auto']} />
          <YAxis dataKey="y" type="number" name={metric} domain={['auto', 'auto']} width={60} />
          <Tooltip />
          <Legend />
          {points.map((p, i) =>
            p.x === null || p.y === null ? null : (
              <Scatter
                key={p.id}
                name={label(p.id)}
                data={[{ x: p.x, y: p.y }]}
                fill={colours[i % colours.length]}
                isAnimationActive={false}
              />
            ),
          )}
        </ScatterChart>
      </ResponsiveContainer>
      {missing > 0 && <p className="muted">{missing} runs recorded no such figure and are not drawn.</p>}
    </div>
  );
}
