import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetSummary, DatasetVersionDetail, Task, TrainingJob } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';
import { TrainingCurve } from '../../components/charts.js';
import { CategoricalOptions, categoricalArgs, type CategoricalValues } from './categorical-options.js';

type Algorithm = 'linear' | 'gbdt' | 'forest' | 'mlp' | 'auto';
type Calibration = 'auto' | 'none' | 'platt' | 'isotonic' | 'temperature';

export function TrainPage({ onTrained }: { onTrained: () => void }) {
  const client = useClient();
  const [datasets, setDatasets] = useState<DatasetSummary[]>([]);
  const [dataset, setDataset] = useState('');
  const [detail, setDetail] = useState<DatasetVersionDetail | null>(null);
  const [target, setTarget] = useState('');
  const [task, setTask] = useState<Task | ''>('');
  const [model, setModel] = useState('');
  const [algorithm, setAlgorithm] = useState<Algorithm>('gbdt');
  const [l2, setL2] = useState('');
  const [hiddenLayers, setHiddenLayers] = useState('64,32');
  const [epochs, setEpochs] = useState('100');
  const [trees, setTrees] = useState('100');
  const [learningRate, setLearningRate] = useState('0.1');
  const [maxLeaves, setMaxLeaves] = useState('');
  const [balanced, setBalanced] = useState(false);
  const [folds, setFolds] = useState('');
  const [budget, setBudget] = useState('60');
  const [splitBy, setSplitBy] = useState<'random' | 'time' | 'group'>('random');
  const [splitColumn, setSplitColumn] = useState('');
  const [tuneThreshold, setTuneThreshold] = useState(false);
  const [useSmote, setUseSmote] = useState(false);
  const [calibration, setCalibration] = useState<Calibration>('auto');
  const [categorical, setCategorical] = useState<CategoricalValues>({});
  const [job, setJob] = useState<TrainingJob | null>(null);
  const [curve, setCurve] = useState<{ iteration: number; loss: number; validationLoss: number | null }[]>([]);
  const [trials, setTrials] = useState<{ trial: number; algorithm: string; metric: string; value: number }[]>([]);
  const { error, run, fail } = useCall();

  useEffect(() => {
    client.call('datasets.list', {}).then((list) => {
      setDatasets(list);
      if (list[0] !== undefined) setDataset((d) => d || list[0]!.name);
    }, fail);
  }, [client, fail]);

  useEffect(() => {
    if (dataset === '') return;
    client.call('datasets.version', { name: dataset }).then((d) => {
      setDetail(d);
      setTarget((t) => (d.schema.some((c) => c.name === t) ? t : (d.schema[d.schema.length - 1]?.name ?? '')));
    }, fail);
  }, [client, dataset, fail]);

  useEffect(() => {
    if (job === null) return;
    return client.on((event) => {
      if (event.name === 'training.progress' && event.data.jobId === job.id && event.data.phase === 'fitting') {
        const p = event.data;
        setCurve((c) => [...c, { iteration: p.iteration, loss: p.loss, validationLoss: p.validationLoss }]);
        setJob((j) => (j === null ? j : { ...j, status: 'running', progress: p }));
      }
      if (event.name === 'training.did-finish' && event.data.id === job.id) setJob(event.data);
      if (event.name === 'training.trial' && event.data.jobId === job.id) {
        const t = event.data;
        setTrials((list) => [...list, { trial: t.trial, algorithm: t.algorithm, metric: t.metric, value: t.value }]);
      }
    });
  }, [client, job?.id]);

  // Events can be missed across a reconnect: poll the job too until it ends.
  useEffect(() => {
    if (job === null || (job.status !== 'queued' && job.status !== 'running')) return;
    const timer = setInterval(() => {
      client.call('training.get', { jobId: job.id }).then(
        (j) => {
          if (j.status !== 'queued' && j.status !== 'running') setJob(j);
        },
        () => undefined,
      );
    }, 1000);
    return () => clearInterval(timer);
  }, [client, job]);

  const start = () =>
    run(async () => {
      setCurve([]);
      setTrials([]);
      const number = (text: string): number | undefined =>
        text.trim() === '' || !Number.isFinite(Number(text)) ? undefined : Number(text);
      const options = {
        ...(algorithm === 'forest' || algorithm === 'auto' ? {} : { l2: number(l2) }),
        folds: number(folds),
        ...(tuneThreshold ? { threshold: 'f1' as const } : {}),
        ...(useSmote ? { resample: 'smote' as const } : {}),
        ...(splitBy === 'time' && splitColumn !== '' ? { timeColumn: splitColumn } : {}),
        ...(splitBy === 'group' && splitColumn !== '' ? { groupColumn: splitColumn } : {}),
        ...(algorithm === 'auto' ? { timeBudget: number(budget), calibration } : {}),
        ...(algorithm === 'gbdt' || algorithm === 'forest' ? { trees: number(trees), maxLeaves: number(maxLeaves) } : {}),
        ...(algorithm === 'gbdt' ? { learningRate: number(learningRate), ...categoricalArgs(categorical) } : {}),
        ...(algorithm === 'mlp'
          ? {
              hiddenLayers: hiddenLayers
                .split(',')
                .map((u) => Number(u.trim()))
                .filter((u) => Number.isInteger(u) && u > 0),
              epochs: number(epochs),
            }
          : {}),
        ...((algorithm === 'gbdt' || algorithm === 'mlp') && balanced ? { classWeight: 'balanced' as const } : {}),
      };
      setJob(
        await client.call('training.start', {
          dataset,
          target,
          algorithm,
          ...(task === '' ? {} : { task }),
          ...(model.trim() === '' ? {} : { model: model.trim() }),
          ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
        }),
      );
    });

  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  return (
    <section>
      <h2>Train</h2>
      <div className="form">
        <label>
          Dataset
          <select data-testid="train-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
            {datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name} (v{d.latestVersion})
              </option>
            ))}
          </select>
        </label>
        <label>
          Target
          <select data-testid="train-target" value={target} onChange={(e) => setTarget(e.target.value)}>
            {detail?.schema.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.type})
              </option>
            ))}
          </select>
        </label>
        <label>
          Task
          <select data-testid="train-task" value={task} onChange={(e) => setTask(e.target.value as Task | '')}>
            <option value="">detect from the target</option>
            <option value="binary">binary classification</option>
            <option value="multiclass">multiclass classification</option>
            <option value="regression">regression</option>
          </select>
        </label>
        <label>
          Algorithm
          <select data-testid="train-algorithm" value={algorithm} onChange={(e) => setAlgorithm(e.target.value as Algorithm)}>
            <option value="gbdt">gradient-boosted trees</option>
            <option value="auto">automatic (search all, cross-validated)</option>
            <option value="forest">random forest</option>
            <option value="linear">linear / logistic (L2)</option>
            <option value="mlp">neural net (MLP, TensorFlow.js)</option>
          </select>
        </label>
        {algorithm === 'mlp' && (
          <>
            <label>
              Hidden layers{' '}
              <input data-testid="train-hidden-layers" value={hiddenLayers} onChange={(e) => setHiddenLayers(e.target.value)} />
            </label>
            <label>
              Most epochs <input value={epochs} onChange={(e) => setEpochs(e.target.value)} />
            </label>
          </>
        )}
        {algorithm === 'auto' && (
          <label>
            Time budget (seconds) <input data-testid="train-budget" value={budget} onChange={(e) => setBudget(e.target.value)} />
          </label>
        )}
        {algorithm === 'auto' && (
          <label title="Calibrate the chosen model's probabilities on its out-of-fold predictions">
            Calibration{' '}
            <select
              data-testid="train-calibration"
              value={calibration}
              onChange={(e) => setCalibration(e.target.value as Calibration)}
            >
              <option value="auto">auto (by cross-validated log loss)</option>
              <option value="none">none</option>
              <option value="platt">Platt (binary)</option>
              <option value="isotonic">isotonic (binary)</option>
              <option value="temperature">temperature (multiclass)</option>
            </select>
          </label>
        )}
        {(algorithm === 'gbdt' || algorithm === 'forest') && (
          <>
            <label>
              Trees <input data-testid="train-trees" value={trees} onChange={(e) => setTrees(e.target.value)} />
            </label>
            {algorithm === 'gbdt' && (
              <label>
                Learning rate <input value={learningRate} onChange={(e) => setLearningRate(e.target.value)} />
              </label>
            )}
            <label>
              Max leaves{' '}
              <input
                value={maxLeaves}
                onChange={(e) => setMaxLeaves(e.target.value)}
                placeholder={algorithm === 'gbdt' ? '31' : '1024'}
              />
            </label>
            {algorithm === 'gbdt' && <CategoricalOptions values={categorical} onChange={setCategorical} />}
          </>
        )}
        {(algorithm === 'gbdt' || algorithm === 'mlp') && (
          <label>
            <span>
              <input type="checkbox" checked={balanced} onChange={(e) => setBalanced(e.target.checked)} /> balanced class weights
            </span>
          </label>
        )}
        {(algorithm === 'linear' || algorithm === 'gbdt' || algorithm === 'mlp') && (
          <label>
            L2 penalty{' '}
            <input
              value={l2}
              onChange={(e) => setL2(e.target.value)}
              placeholder={
                algorithm === 'gbdt' ? '1 (on leaf values)' : algorithm === 'mlp' ? '0.00001 (on weights)' : '0.0001 (on weights)'
              }
            />
          </label>
        )}
        <label>
          <span>
            <input
              type="checkbox"
              data-testid="train-threshold"
              checked={tuneThreshold}
              onChange={(e) => setTuneThreshold(e.target.checked)}
            />{' '}
            tune the decision threshold for F1 (binary)
          </span>
        </label>
        <label>
          <span>
            <input type="checkbox" data-testid="train-smote" checked={useSmote} onChange={(e) => setUseSmote(e.target.checked)} />{' '}
            add synthetic minority rows (SMOTE)
          </span>
        </label>
        <label>
          Split
          <select
            data-testid="train-split"
            value={splitBy}
            onChange={(e) => setSplitBy(e.target.value as 'random' | 'time' | 'group')}
          >
            <option value="random">shuffled (stratified by class)</option>
            <option value="time">by time: train on the past, test on the future</option>
            <option value="group">by group: a group's rows stay together</option>
          </select>
        </label>
        {splitBy !== 'random' && (
          <label>
            {splitBy === 'time' ? 'Time column' : 'Group column'}
            <select data-testid="train-split-column" value={splitColumn} onChange={(e) => setSplitColumn(e.target.value)}>
              <option value="">choose…</option>
              {detail?.schema
                .filter(
                  (c) =>
                    c.name !== target &&
                    (splitBy === 'group' || c.type === 'datetime' || c.type === 'integer' || c.type === 'number'),
                )
                .map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} ({c.type})
                  </option>
                ))}
            </select>
          </label>
        )}
        <label>
          Cross-validation folds{' '}
          <input data-testid="train-folds" value={folds} onChange={(e) => setFolds(e.target.value)} placeholder="none" />
        </label>
        <label>
          Model name{' '}
          <input
            data-testid="train-model"
            value={model}
            onChange={(e) => setModel(e.target.value)}
            placeholder="dataset-target"
          />
        </label>
        <div>
          <ActionButton data-testid="train-start" disabled={running || dataset === '' || target === ''} action={start}>
            Train
          </ActionButton>
          {running && (
            <button data-testid="train-cancel" onClick={() => void client.call('training.cancel', { jobId: job.id })}>
              Cancel
            </button>
          )}
        </div>
      </div>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {job !== null && (
        <div className="card" data-testid="train-job" data-status={job.status}>
          <p>
            Job <code>{job.id.slice(0, 8)}</code>: <strong data-testid="train-status">{job.status}</strong>
            {job.progress !== null && running && ` · iteration ${job.progress.iteration} · loss ${job.progress.loss.toFixed(5)}`}
          </p>
          {running && <progress max={1} value={job.progress?.fraction ?? 0} />}
          {curve.length > 1 && <TrainingCurve data={curve} height={220} legend />}
          {trials.length > 0 && (
            <div data-testid="trial-chart">
              <h4>
                Search: {trials.length} candidates, cross-validated {trials[0]!.metric}
              </h4>
              <ResponsiveContainer width="100%" height={220}>
                <ScatterChart>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="trial" type="number" name="trial" allowDecimals={false} />
                  <YAxis dataKey="value" type="number" name={trials[0]!.metric} domain={['auto', 'auto']} width={60} />
                  <Tooltip />
                  <Legend />
                  {['gbdt', 'forest', 'linear', 'mlp', 'ensemble'].map((algorithm, i) => (
                    <Scatter
                      key={algorithm}
                      name={algorithm}
                      data={trials.filter((t) => t.algorithm === algorithm)}
                      fill={['#b4532a', '#6b8e23', '#2a6bb4', '#8a3ab4', '#333333'][i]}
                      isAnimationActive={false}
                    />
                  ))}
                </ScatterChart>
              </ResponsiveContainer>
            </div>
          )}
          {job.status === 'succeeded' && job.result !== null && (
            <div data-testid="train-result">
              <p>
                Registered{' '}
                <strong>
                  {job.result.model} v{job.result.version}
                </strong>{' '}
                in {(job.result.durationMs / 1000).toFixed(1)} s.
              </p>
              <table>
                <tbody>
                  {Object.entries(job.result.metrics).map(([k, v]) => (
                    <tr key={k}>
                      <td>{k}</td>
                      <td>{v.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button onClick={onTrained}>Open in Models</button>
            </div>
          )}
          {job.error !== null && <p className="error">{job.error.message}</p>}
        </div>
      )}
    </section>
  );
}
