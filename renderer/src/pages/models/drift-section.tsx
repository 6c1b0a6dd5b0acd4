import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { palette } from '../../components/charts.js';
import type { DriftHistoryEntry, DriftReport } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';

/** Drift of the version's inputs and predictions: its training data against what it served in a window. */
export function DriftSection({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const [span, setSpan] = useState<'hour' | 'day' | 'week' | 'all'>('day');
  const [report, setReport] = useState<DriftReport | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const { error, run } = useCall();
  const check = async (): Promise<void> => {
    const r = await run(async () => {
      const hours = { hour: 1, day: 24, week: 168, all: null }[span];
      const since = hours === null ? undefined : new Date(Date.now() - hours * 3600_000).toISOString();
      return client.call('models.drift', { name: model, version, ...(since === undefined ? {} : { since }) });
    });
    // A failed check clears the last report rather than leaving it beside the error.
    setReport(r ?? null);
    if (r !== undefined) setSelected(r.features.columns.find((c) => c.drifted)?.column ?? r.features.columns[0]?.column ?? null);
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
      <ActionButton data-testid="drift-check" action={check}>
        Check drift
      </ActionButton>
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
              <Line dataKey="share" stroke={palette[0]} isAnimationActive={false} />
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
            {report.features.notEnoughData > 0
              ? ` ${report.features.notEnoughData} with fewer than ${report.features.minimumRows} rows a side: not enough data to judge.`
              : ''}
            {' p-values are Holm-adjusted across the features.'}
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
                  <td>
                    {c.pValue === null
                      ? c.statistic.toFixed(4)
                      : `p = ${c.pValue.toPrecision(3)}, adjusted ${(c.adjustedPValue ?? c.pValue).toPrecision(3)}`}
                  </td>
                  <td>{c.threshold}</td>
                  <td className={c.drifted ? 'error' : ''}>{c.drifted ? 'drifted' : c.enoughData ? 'no' : 'not enough data'}</td>
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
                  <Bar dataKey="reference" name="training data" fill={palette[1]} isAnimationActive={false} />
                  <Bar dataKey="current" name="served" fill={palette[0]} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </>
      )}
    </div>
  );
}
