import { useEffect, useMemo, useState } from 'react';
import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetSummary, DatasetVersionDetail, Task, TrainingJob } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';
import { palette, TrainingCurve } from '../../components/charts.js';
import { argumentIssues, describeBounds, numberBounds, numberField } from '../../../../main/contracts/validate.js';
import { FieldError, TextField } from '../../components/field.js';
import { fieldMessages } from '../../components/errors.js';
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
  // Limits on the chosen model (auto): blank is no limit.
  const [maxSize, setMaxSize] = useState('');
  const [maxLatency, setMaxLatency] = useState('');
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
  const shownCurve = job !== null && job.history.length > curve.length ? job.history : curve;
  // What each numeric argument takes, from training.start's own schema: the hint beside the field and its check.
  const bounds = useMemo(() => numberBounds('training.start'), []);
  const hints = useMemo(() => Object.fromEntries(Object.entries(bounds).map(([k, b]) => [k, describeBounds(b)])), [bounds]);
  /** What is wrong with each field, by training.start's argument name: found here before sending, or by the server. */
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    client.call('datasets.list', {}).then((list) => {
      setDatasets(list);
      if (list[0] !== undefined) setDataset((d) => d || list[0]!.name);
    }, fail);
  }, [client, fail]);

  useEffect(() => {
    if (dataset === '') return;
    // A slow answer for a dataset picked before must not overwrite the columns of the one picked now.
    let current = true;
    client.call('datasets.version', { name: dataset }).then((d) => {
      if (!current) return;
      setDetail(d);
      setTarget((t) => (d.schema.some((c) => c.name === t) ? t : (d.schema[d.schema.length - 1]?.name ?? '')));
    }, fail);
    return () => {
      current = false;
    };
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
      const errors: Record<string, string> = {};
      const number = (key: string, text: string): number | undefined => {
        const read = numberField(bounds[key], text);
        if (read.ok) return read.value;
        errors[key] ??= read.message;
        return undefined;
      };
      const layers = hiddenLayers.split(',').map((u) => {
        if (u.trim() !== '') return number('hiddenLayers', u);
        errors.hiddenLayers ??= `a comma list of units per layer, each ${hints.hiddenLayers ?? 'a whole number'}`;
        return undefined;
      });
      const options = {
        ...(algorithm === 'forest' || algorithm === 'auto' ? {} : { l2: number('l2', l2) }),
        folds: number('folds', folds),
        ...(tuneThreshold ? { threshold: 'f1' as const } : {}),
        ...(useSmote ? { resample: 'smote' as const } : {}),
        ...(splitBy === 'time' && splitColumn !== '' ? { timeColumn: splitColumn } : {}),
        ...(splitBy === 'group' && splitColumn !== '' ? { groupColumn: splitColumn } : {}),
        ...(algorithm === 'auto' ? { timeBudget: number('timeBudget', budget), calibration } : {}),
        ...(algorithm === 'auto' && maxSize.trim() !== '' ? { maxSize: number('maxSize', maxSize) } : {}),
        ...(algorithm === 'auto' && maxLatency.trim() !== '' ? { maxLatencyUs: number('maxLatencyUs', maxLatency) } : {}),
        ...(algorithm === 'gbdt' || algorithm === 'forest'
          ? { trees: number('trees', trees), maxLeaves: number('maxLeaves', maxLeaves) }
          : {}),
        ...(algorithm === 'gbdt'
          ? { learningRate: number('learningRate', learningRate), ...categoricalArgs(categorical, number) }
          : {}),
        ...(algorithm === 'mlp'
          ? {
              ...(hiddenLayers.trim() === '' ? {} : { hiddenLayers: layers as number[] }),
              epochs: number('epochs', epochs),
            }
          : {}),
        ...((algorithm === 'gbdt' || algorithm === 'mlp') && balanced ? { classWeight: 'balanced' as const } : {}),
      };
      if (algorithm !== 'mlp') delete errors.hiddenLayers;
      const args = {
        dataset,
        target,
        algorithm,
        ...(task === '' ? {} : { task }),
        ...(model.trim() === '' ? {} : { model: model.trim() }),
        ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      };
      // The contract's own check too (a name, a list's length): what the server would refuse is not sent.
      for (const issue of argumentIssues('training.start', args)) errors[issue.path[0] ?? ''] ??= issue.message;
      setFieldErrors(errors);
      const wrong = Object.keys(errors).length;
      if (wrong > 0)
        throw new Error(`Not sent: ${wrong === 1 ? 'a field needs' : `${wrong} fields need`} fixing (marked below it)`);
      setCurve([]);
      setTrials([]);
      // The previous job's card (and the curve its history draws) goes until the new job is there.
      setJob(null);
      try {
        setJob(await client.call('training.start', args));
      } catch (e) {
        setFieldErrors(fieldMessages(e));
        throw e;
      }
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
          <FieldError testId="train-target" message={fieldErrors.target} />
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
            <TextField
              label="Hidden layers (units, comma-separated)"
              testId="train-hidden-layers"
              value={hiddenLayers}
              onChange={setHiddenLayers}
              error={fieldErrors.hiddenLayers}
            />
            <TextField
              label="Most epochs"
              testId="train-epochs"
              numeric
              value={epochs}
              onChange={setEpochs}
              hint={hints.epochs}
              error={fieldErrors.epochs}
            />
          </>
        )}
        {algorithm === 'auto' && (
          <TextField
            label="Time budget (seconds)"
            testId="train-budget"
            numeric
            value={budget}
            onChange={setBudget}
            hint={hints.timeBudget}
            error={fieldErrors.timeBudget}
          />
        )}
        {algorithm === 'auto' && (
          <>
            <TextField
              label="Max size (KB, optional)"
              testId="train-max-size"
              numeric
              value={maxSize}
              onChange={setMaxSize}
              hint="the chosen model's ONNX size at most this many KB; bigger candidates are marked over limit"
              error={fieldErrors.maxSize}
            />
            <TextField
              label="Max latency (µs, optional)"
              testId="train-max-latency"
              numeric
              value={maxLatency}
              onChange={setMaxLatency}
              hint="the chosen model's single-row p50 at most this many µs"
              error={fieldErrors.maxLatencyUs}
            />
          </>
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
            <TextField
              label="Trees"
              testId="train-trees"
              numeric
              value={trees}
              onChange={setTrees}
              hint={hints.trees}
              error={fieldErrors.trees}
            />
            {algorithm === 'gbdt' && (
              <TextField
                label="Learning rate"
                testId="train-learning-rate"
                numeric
                value={learningRate}
                onChange={setLearningRate}
                hint={hints.learningRate}
                error={fieldErrors.learningRate}
              />
            )}
            <TextField
              label="Max leaves"
              testId="train-max-leaves"
              numeric
              value={maxLeaves}
              onChange={setMaxLeaves}
              placeholder={algorithm === 'gbdt' ? '31' : '1024'}
              hint={hints.maxLeaves}
              error={fieldErrors.maxLeaves}
            />
            {algorithm === 'gbdt' && (
              <CategoricalOptions values={categorical} onChange={setCategorical} errors={fieldErrors} hints={hints} />
            )}
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
          <TextField
            label="L2 penalty"
            testId="train-l2"
            numeric
            value={l2}
            onChange={setL2}
            placeholder={
              algorithm === 'gbdt' ? '1 (on leaf values)' : algorithm === 'mlp' ? '0.00001 (on weights)' : '0.0001 (on weights)'
            }
            hint={hints.l2}
            error={fieldErrors.l2}
          />
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
        <TextField
          label="Cross-validation folds"
          testId="train-folds"
          numeric
          value={folds}
          onChange={setFolds}
          placeholder="none"
          hint={hints.folds}
          error={fieldErrors.folds}
        />
        <TextField
          label="Model name"
          testId="train-model"
          value={model}
          onChange={setModel}
          placeholder="dataset-target"
          error={fieldErrors.model}
        />
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
          {/* A warm worker can finish a small fit before any progress event reaches the page: the finished job's
              own history draws the same curve then. */}
          {shownCurve.length > 1 && <TrainingCurve data={shownCurve} height={220} legend />}
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
                      fill={[palette[0], palette[2], palette[1], palette[3], palette[7]][i]}
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
