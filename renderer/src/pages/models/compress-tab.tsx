import { useEffect, useRef, useState } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { CompressJob, CompressVariantResult } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';

/**
 * Smaller and faster variants of this version (models.compress): a job with progress, the frontier as a table and
 * a scatter of size or latency against the metric (Pareto points marked), and a button to register a variant.
 */
export function CompressTab({ model, version, onRegistered }: { model: string; version: number; onRegistered: () => void }) {
  const client = useClient();
  const [job, setJob] = useState<CompressJob | null>(null);
  const [maxSizeKb, setMaxSizeKb] = useState('');
  const [maxLoss, setMaxLoss] = useState('');
  const [axis, setAxis] = useState<'size' | 'latency'>('size');
  const [registered, setRegistered] = useState<string | null>(null);
  const { error, run, setError } = useCall();
  const polling = useRef(0);
  useEffect(() => () => window.clearTimeout(polling.current), []);

  const poll = (jobId: string): void => {
    polling.current = window.setTimeout(() => {
      client.call('models.compress-get', { jobId }).then(
        (current) => {
          setJob(current);
          if (current.status === 'running') poll(jobId);
          else if (current.error !== null) setError(current.error.message);
        },
        (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
      );
    }, 300);
  };
  const start = async (): Promise<void> => {
    setRegistered(null);
    const limits = {
      ...(maxSizeKb === '' ? {} : { maxSizeKb: Number(maxSizeKb) }),
      ...(maxLoss === '' ? {} : { maxLoss: Number(maxLoss) }),
    };
    const started = await run(() => client.call('models.compress', { name: model, version, ...limits }));
    if (started === undefined) return;
    setJob(started);
    poll(started.id);
  };
  const register = async (variant: string): Promise<void> => {
    const info = await run(() => client.call('models.compress-choose', { name: model, version, variant }));
    if (info === undefined) return;
    const lineage = (info.report.compression as { lineage?: string } | undefined)?.lineage ?? variant;
    setRegistered(`Registered v${info.version}: ${lineage} (not promoted)`);
    onRegistered();
  };

  const result = job?.result ?? null;
  const metric = job?.metric ?? '';
  const all = result === null ? [] : [result.original, ...result.variants];
  const marked = (v: CompressVariantResult): boolean => (axis === 'size' ? v.pareto.size : v.pareto.latency);
  const point = (v: CompressVariantResult) => ({
    x: axis === 'size' ? v.sizeBytes / 1024 : v.p50Us,
    y: v.validation ?? v.test ?? 0,
    variant: v.variant,
  });
  return (
    <div data-testid="compress">
      <p className="muted">
        Candidate variants (fewer trees, shallower refits, float32, float16 or int8 weights, dead units removed, fewer members…),
        each one ONNX graph checked against its TypeScript reference and judged on the rows this version&apos;s run held out.
      </p>
      <label>
        Max size (KB){' '}
        <input data-testid="compress-max-size" value={maxSizeKb} onChange={(e) => setMaxSizeKb(e.target.value)} size={6} />
      </label>{' '}
      <label>
        Max loss ({metric || 'metric'}){' '}
        <input data-testid="compress-max-loss" value={maxLoss} onChange={(e) => setMaxLoss(e.target.value)} size={6} />
      </label>{' '}
      <ActionButton data-testid="compress-start" action={start} disabled={job?.status === 'running'}>
        Find smaller variants
      </ActionButton>
      {job?.status === 'running' && (
        <>
          {' '}
          <button type="button" onClick={() => void client.call('models.compress-cancel', { jobId: job.id })}>
            Cancel
          </button>
          <p data-testid="compress-progress">
            <progress max={1} value={job.progress.fraction} /> {(100 * job.progress.fraction).toFixed(0)}%{' '}
            {job.progress.current ?? ''}
          </p>
        </>
      )}
      {error !== null && (
        <p className="error" data-testid="compress-error">
          {error}
        </p>
      )}
      {registered !== null && <p data-testid="compress-registered">{registered}</p>}
      {result !== null && (
        <>
          <table data-testid="compress-table">
            <thead>
              <tr>
                <th>Variant</th>
                <th>What</th>
                <th>Size (KB)</th>
                <th>p50 µs</th>
                <th>p99 µs</th>
                <th>Validation {metric}</th>
                <th>Test {metric}</th>
                <th>Δ test</th>
                <th title="S: Pareto-optimal on size, L: on latency (against the validation metric)">Pareto</th>
                {Object.keys(job!.limits).length > 0 && <th>Within limits</th>}
                <th />
              </tr>
            </thead>
            <tbody>
              {all.map((v) => (
                <tr key={v.variant} data-variant={v.variant}>
                  <td>{v.variant}</td>
                  <td>{v.description}</td>
                  <td>{(v.sizeBytes / 1024).toFixed(1)}</td>
                  <td>{v.p50Us.toFixed(1)}</td>
                  <td>{v.p99Us.toFixed(1)}</td>
                  <td>{v.validation?.toFixed(4) ?? '–'}</td>
                  <td>{v.test?.toFixed(4) ?? '–'}</td>
                  <td>{v.deltaTest === null ? '–' : `${v.deltaTest >= 0 ? '+' : ''}${v.deltaTest.toFixed(4)}`}</td>
                  <td>{`${v.pareto.size ? 'S' : ''}${v.pareto.latency ? 'L' : ''}` || '·'}</td>
                  {Object.keys(job!.limits).length > 0 && <td>{v.withinLimits ? 'yes' : 'no'}</td>}
                  <td>
                    {v.variant !== 'original' && (
                      <ActionButton data-testid={`compress-register-${v.variant}`} action={() => register(v.variant)}>
                        Register this variant
                      </ActionButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <label>
              Chart{' '}
              <select data-testid="compress-axis" value={axis} onChange={(e) => setAxis(e.target.value as 'size' | 'latency')}>
                <option value="size">size against {metric}</option>
                <option value="latency">p50 latency against {metric}</option>
              </select>
            </label>
          </p>
          <ResponsiveContainer width="100%" height={260}>
            <ScatterChart data-testid="compress-chart">
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" dataKey="x" name={axis === 'size' ? 'KB' : 'µs'} domain={['auto', 'auto']} />
              <YAxis type="number" dataKey="y" name={metric} width={60} domain={['auto', 'auto']} />
              <Tooltip formatter={(value) => (typeof value === 'number' ? value.toFixed(4) : String(value))} />
              <Legend />
              <Scatter name="Pareto-optimal" data={all.filter(marked).map(point)} fill="#b4532a" shape="diamond" />
              <Scatter name="dominated" data={all.filter((v) => !marked(v)).map(point)} fill="#8a8a8a" />
            </ScatterChart>
          </ResponsiveContainer>
        </>
      )}
    </div>
  );
}
