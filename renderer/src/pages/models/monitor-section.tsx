import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { palette } from '../../components/charts.js';
import type { MonitorReport } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';

/** Live performance per hour: served rows, realised metrics on late labels and the estimate from confidence. */
export function MonitorSection({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [report, setReport] = useState<MonitorReport | null>(null);
  const { error, run } = useCall();
  const load = async (): Promise<void> => {
    // A failed load clears the last report rather than leaving it beside the error.
    setReport((await run(() => client.call('models.monitor', { name: model, version, windowSeconds: 3600 }))) ?? null);
  };
  const metric = report?.task === 'regression' ? 'rmse' : report?.task === 'binary' ? 'roc_auc' : 'accuracy';
  return (
    <div data-testid="monitor">
      <h4>In service</h4>
      <ActionButton data-testid="monitor-load" action={load}>
        Show live performance
      </ActionButton>
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
              <Line dataKey="realised" stroke={palette[0]} isAnimationActive={false} connectNulls />
              <Line dataKey="estimated" stroke={palette[1]} strokeDasharray="4 3" isAnimationActive={false} connectNulls />
            </LineChart>
          </ResponsiveContainer>
        </>
      )}
    </div>
  );
}
