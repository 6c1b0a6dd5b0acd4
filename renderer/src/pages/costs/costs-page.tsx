import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CostFigures, CostSummary } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';

/** CPU-hours to three significant digits (runs cost fractions of an hour). */
const hours = (h: number): string => (h === 0 ? '0' : h.toPrecision(3));

/**
 * Costs (#costs): CPU-hours of training and serving per model and ISO week, from costs.summary; a stacked bar per
 * week (training under serving); money only when the host has a rate (settings cost.perCoreHour).
 */
export function CostsPage() {
  const client = useClient();
  const { error, fail } = useCall();
  const [weeks, setWeeks] = useState(12);
  const [model, setModel] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [summary, setSummary] = useState<CostSummary | null>(null);
  useEffect(() => {
    // The page's address, so a reload or a link opens it again.
    if (window.location.hash !== '#costs') history.replaceState(null, '', '#costs');
    client.call('models.list', {}).then((m) => setModels(m.map((x) => x.name)), fail);
  }, [client, fail]);
  useEffect(() => {
    setSummary(null);
    client.call('costs.summary', { weeks, ...(model === '' ? {} : { model }) }).then(setSummary, fail);
  }, [client, fail, weeks, model]);
  const rate = summary?.rate ?? null;
  const money = (f: CostFigures): string =>
    f.price === null || rate === null ? '' : `${f.price.total.toPrecision(3)}${rate.currency === '' ? '' : ` ${rate.currency}`}`;
  const row = (label: string, f: CostFigures, testId: string) => (
    <tr key={testId} data-testid={testId}>
      <td>{label}</td>
      <td>{f.runs}</td>
      <td data-testid={`${testId}-training`}>{hours(f.trainingCpuHours)}</td>
      <td>{Math.round(f.predictions).toLocaleString('en')}</td>
      <td data-testid={`${testId}-serving`}>
        {hours(f.servingCpuHours)}
        {f.unmeasuredPredictions > 0 && (
          <span className="muted" title="predictions by versions with no measured latency (imported or pulled)">
            {' '}
            ({Math.round(f.unmeasuredPredictions)} not costed)
          </span>
        )}
      </td>
      {rate !== null && <td data-testid={`${testId}-price`}>{money(f)}</td>}
    </tr>
  );
  return (
    <section data-testid="costs-page" data-loaded={summary === null ? 'false' : 'true'}>
      <h2>Costs</h2>
      <div className="row">
        <label>
          Weeks{' '}
          <select data-testid="costs-weeks" value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
            {[4, 12, 26, 52].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Model{' '}
          <select data-testid="costs-model" value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">all</option>
            {models.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
      </div>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {summary !== null && (
        <>
          <div style={{ width: '100%', height: 240 }} data-testid="costs-chart">
            <ResponsiveContainer>
              <BarChart
                data={summary.byWeek.map((w) => ({
                  week: w.week,
                  training: w.trainingCpuHours,
                  serving: w.servingCpuHours,
                }))}
              >
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="week" fontSize={10} minTickGap={8} />
                <YAxis width={64} fontSize={10} tickFormatter={(v: number) => hours(v)} />
                <Tooltip formatter={(v) => `${hours(Number(v))} CPU-h`} />
                <Legend />
                <Bar dataKey="training" name="training CPU-h" stackId="cpu" fill="#4e79a7" isAnimationActive={false} />
                <Bar dataKey="serving" name="serving CPU-h" stackId="cpu" fill="#f28e2b" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <table data-testid="costs-table">
            <thead>
              <tr>
                <th>Week · model</th>
                <th>Runs</th>
                <th>Training CPU-h</th>
                <th>Predictions</th>
                <th>Serving CPU-h</th>
                {rate !== null && <th>Cost ({rate.currency === '' ? 'at the set rate' : rate.currency})</th>}
              </tr>
            </thead>
            <tbody>
              {summary.rows.length === 0 && (
                <tr>
                  <td colSpan={rate === null ? 5 : 6} className="muted">
                    No training runs or logged predictions in these weeks.
                  </td>
                </tr>
              )}
              {summary.rows.map((r) => row(`${r.week} · ${r.model}`, r, `costs-row-${r.week}-${r.model}`))}
              {summary.byModel.map((m) => row(`${m.model}, all weeks`, m, `costs-model-${m.model}`))}
              {row('Total', summary.total, 'costs-total')}
            </tbody>
          </table>
          <p className="muted" data-testid="costs-method">
            Training: {summary.method.training}. Serving: {summary.method.serving}.
            {summary.logSample < 1 && ` Counts scaled from a ${summary.logSample} sample of the log.`}
            {rate === null && ' No price: set cost.perCoreHour to see one.'}
          </p>
        </>
      )}
    </section>
  );
}
