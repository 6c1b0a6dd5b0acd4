import { useEffect, useState } from 'react';
import type { ModelSchema, ModelSummary, Prediction } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { HorizontalBars, palette } from '../../components/charts.js';
import { saveFile } from '../../components/download.js';
import { fieldMessages } from '../../components/errors.js';
import { parseCsv } from './csv.js';
import { InputField, readInput } from './input-field.js';

function ShapBars({ prediction }: { prediction: Prediction }) {
  const e = prediction.explanation;
  if (e === undefined) return null;
  const data = Object.entries(e.contributions)
    .map(([feature, value]) => ({ feature, value }))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  return (
    <div data-testid="shap-chart">
      <h4>
        Why: contributions to {e.output} ({e.method === 'treeshap' ? 'exact TreeSHAP' : 'exact linear SHAP'}, in{' '}
        {e.space === 'softmax-logit' ? 'softmax logits' : e.space}, from an expected {e.expectedValue.toFixed(3)})
      </h4>
      {e.calibrated !== undefined && (
        <p className="muted" data-testid="shap-calibrated">
          {e.calibrated
            ? 'Calibrated: the contributions add up to the served probability’s.'
            : 'The model’s own score before its calibrator, which has no additive form: the served probability is that score calibrated.'}
        </p>
      )}
      <HorizontalBars
        data={data}
        category="feature"
        value="value"
        labelWidth={150}
        rowHeight={22}
        minHeight={140}
        fillOf={(d) => (d.value >= 0 ? palette[0]! : palette[1]!)}
      />
    </div>
  );
}

function PredictionView({ prediction }: { prediction: Prediction }) {
  if ('value' in prediction) return <strong data-testid="prediction-value">{prediction.value.toFixed(4)}</strong>;
  return (
    <span>
      <strong data-testid="prediction-label">{prediction.label}</strong>{' '}
      <span className="muted">
        {Object.entries(prediction.probabilities)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([c, p]) => `${c}: ${(p * 100).toFixed(1)}%`)
          .join(' · ')}
      </span>
    </span>
  );
}

export function PredictPage() {
  const client = useClient();
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [model, setModel] = useState('');
  const [loaded, setLoaded] = useState<ModelSchema | null>(null);
  // The form is the chosen model's only: a schema still loaded for the one before is not shown.
  const schema = loaded?.model === model ? loaded : null;
  const [values, setValues] = useState<Record<string, string>>({});
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [single, setSingle] = useState<{ version: number; prediction: Prediction; executionProvider: string } | null>(null);
  const [explain, setExplain] = useState(true);
  const [batch, setBatch] = useState<{ rows: Record<string, string>[]; predictions: Prediction[]; version: number } | null>(null);
  const { error, setError, run, fail } = useCall();

  useEffect(() => {
    client.call('models.list', {}).then((list) => {
      setModels(list);
      if (list[0] !== undefined) setModel((m) => m || list[0]!.name);
    }, fail);
  }, [client, fail]);
  useEffect(() => {
    if (model === '') return;
    // A slow answer for the model chosen before must not fill the form of the one chosen since.
    let current = true;
    client.call('models.schema', { name: model }).then(
      (s) => current && setLoaded(s),
      (e: unknown) => current && fail(e),
    );
    return () => {
      current = false;
    };
  }, [client, model, fail]);

  /** Another model: its own inputs, nothing carried over from the last one's form or results. */
  const chooseModel = (name: string): void => {
    if (name === model) return;
    setModel(name);
    setValues({});
    setFieldErrors({});
    setSingle(null);
    setBatch(null);
    setError(null);
  };
  /** An edited input: the result shown was for other inputs, so it goes, and so does a message about them. */
  const edit = (name: string, text: string): void => {
    setValues((v) => ({ ...v, [name]: text }));
    setFieldErrors(({ [name]: _gone, ...rest }) => rest);
    setSingle(null);
    setError(null);
  };

  const toRow = (record: Record<string, string>): Record<string, string | number | boolean | null> =>
    Object.fromEntries(
      (schema?.inputs ?? []).map((input) => {
        const read = readInput(input, record[input.name] ?? '');
        // A file's cell that does not read is sent as written: the server says which row and why.
        return [input.name, read.ok ? read.value : (record[input.name] ?? null)];
      }),
    );

  const predictOne = () =>
    run(async () => {
      if (schema === null) return;
      setSingle(null);
      const errors: Record<string, string> = {};
      const row: Record<string, string | number | boolean | null> = {};
      for (const input of schema.inputs) {
        const read = readInput(input, values[input.name] ?? '');
        if (read.ok) row[input.name] = read.value;
        else errors[input.name] = read.message;
      }
      setFieldErrors(errors);
      const wrong = Object.keys(errors).length;
      if (wrong > 0)
        throw new Error(`Not sent: ${wrong === 1 ? 'an input needs' : `${wrong} inputs need`} fixing (marked below it)`);
      try {
        const result = await client.call('models.predict', {
          name: model,
          rows: [row],
          ...(explain && schema.explain !== null ? { explain: true } : {}),
        });
        setSingle({ version: result.version, prediction: result.predictions[0]!, executionProvider: result.executionProvider });
      } catch (e) {
        setFieldErrors(fieldMessages(e));
        throw e;
      }
    });

  const predictFile = (file: File) =>
    run(async () => {
      setBatch(null);
      const rows = parseCsv(await file.text());
      const predictions: Prediction[] = [];
      let version = 0;
      for (let i = 0; i < rows.length; i += 5000) {
        const result = await client.call('models.predict', { name: model, rows: rows.slice(i, i + 5000).map(toRow) });
        predictions.push(...result.predictions);
        version = result.version;
      }
      setBatch({ rows, predictions, version });
    });

  const download = (): void => {
    if (batch === null) return;
    const header = [...Object.keys(batch.rows[0] ?? {}), 'prediction'];
    const esc = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const lines = batch.rows.map((r, i) => {
      const p = batch.predictions[i]!;
      return [...Object.values(r), 'label' in p ? p.label : String(p.value)].map(esc).join(',');
    });
    saveFile('predictions.csv', [header.join(','), ...lines].join('\n'), 'text/csv');
  };

  return (
    <section>
      <h2>Predict</h2>
      <label>
        Model{' '}
        <select data-testid="predict-model" value={model} onChange={(e) => chooseModel(e.target.value)}>
          {models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} (production v{m.aliases.production ?? m.latestVersion})
            </option>
          ))}
        </select>
      </label>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {schema !== null && (
        <div className="split">
          <form
            className="card form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void predictOne();
            }}
            data-testid="predict-form"
            data-model={schema.model}
          >
            <h3>
              One row{' '}
              <span className="muted">
                (v{schema.version}, {schema.algorithm})
              </span>
            </h3>
            {schema.inputs.map((input) => (
              <InputField
                key={`${schema.model}@${schema.version}:${input.name}`}
                input={input}
                value={values[input.name] ?? ''}
                onChange={(text) => edit(input.name, text)}
                error={fieldErrors[input.name]}
              />
            ))}
            {schema.explain !== null ? (
              <label>
                <span>
                  <input
                    data-testid="predict-explain"
                    type="checkbox"
                    checked={explain}
                    onChange={(e) => {
                      setExplain(e.target.checked);
                      setSingle(null);
                    }}
                  />{' '}
                  explain ({schema.explain === 'linear-shap' ? 'exact linear SHAP' : 'exact TreeSHAP'})
                </span>
              </label>
            ) : (
              <p className="muted" data-testid="explain-unavailable">
                No explanations: {schema.explainRefusal}
              </p>
            )}
            <button type="submit" data-testid="predict-submit">
              Predict
            </button>
            {single !== null && (
              <>
                <p data-testid="predict-result">
                  v{single.version}: <PredictionView prediction={single.prediction} />
                </p>
                <p className="muted" data-testid="predict-provider">
                  Ran on {single.executionProvider}
                </p>
              </>
            )}
          </form>
          <div className="card">
            <h3>A file</h3>
            <input
              type="file"
              accept=".csv,text/csv"
              data-testid="predict-file"
              aria-label="CSV file of rows to predict"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f !== undefined) void predictFile(f);
                e.target.value = '';
              }}
            />
            {batch !== null && (
              <>
                <p>
                  {batch.predictions.length} predictions by v{batch.version}. <button onClick={download}>Download CSV</button>
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>Prediction</th>
                    </tr>
                  </thead>
                  <tbody>
                    {batch.predictions.slice(0, 20).map((p, i) => (
                      <tr key={i}>
                        <td>{i + 1}</td>
                        <td>
                          <PredictionView prediction={p} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        </div>
      )}
      {single?.prediction.explanation !== undefined && (
        <div className="card">
          <ShapBars prediction={single.prediction} />
        </div>
      )}
    </section>
  );
}
