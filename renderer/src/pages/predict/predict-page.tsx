import { useEffect, useState } from 'react';
import type { ModelSummary, ModelVersionInfo, Prediction } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { HorizontalBars } from '../../components/charts.js';
import { saveFile } from '../../components/download.js';
import { parseCsv } from './csv.js';

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
      <HorizontalBars
        data={data}
        category="feature"
        value="value"
        labelWidth={150}
        rowHeight={22}
        minHeight={140}
        fillOf={(d) => (d.value >= 0 ? '#b4532a' : '#2a6bb4')}
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
  const [info, setInfo] = useState<ModelVersionInfo | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [single, setSingle] = useState<{ version: number; prediction: Prediction; executionProvider: string } | null>(null);
  const [explain, setExplain] = useState(true);
  const [batch, setBatch] = useState<{ rows: Record<string, string>[]; predictions: Prediction[]; version: number } | null>(null);
  const { error, run, fail } = useCall();

  useEffect(() => {
    client.call('models.list', {}).then((list) => {
      setModels(list);
      if (list[0] !== undefined) setModel((m) => m || list[0]!.name);
    }, fail);
  }, [client, fail]);
  useEffect(() => {
    if (model === '') return;
    client.call('models.version', { name: model }).then(setInfo, fail);
  }, [client, model, fail]);

  const toRow = (record: Record<string, string>): Record<string, string | number | null> =>
    Object.fromEntries(
      (info?.inputSchema ?? []).map((input) => {
        const raw = (record[input.name] ?? '').trim();
        if (raw === '') return [input.name, null];
        return [input.name, input.type === 'double' && !Number.isNaN(Number(raw)) ? Number(raw) : raw];
      }),
    );

  const predictOne = () =>
    run(async () => {
      const canExplain = explain && info?.explainRefusal === null;
      const result = await client.call('models.predict', {
        name: model,
        rows: [toRow(values)],
        ...(canExplain ? { explain: true } : {}),
      });
      setSingle({ version: result.version, prediction: result.predictions[0]!, executionProvider: result.executionProvider });
    });

  const predictFile = (file: File) =>
    run(async () => {
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
        <select
          data-testid="predict-model"
          value={model}
          onChange={(e) => {
            setModel(e.target.value);
            setSingle(null);
            setBatch(null);
          }}
        >
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
      {info !== null && (
        <div className="split">
          <form
            className="card form"
            onSubmit={(e) => {
              e.preventDefault();
              void predictOne();
            }}
            data-testid="predict-form"
          >
            <h3>One row</h3>
            {info.inputSchema.map((input) => (
              <label key={input.name}>
                {input.name} <span className="tag">{input.type === 'double' ? 'number' : 'text'}</span>
                <input
                  data-testid={`input-${input.name}`}
                  value={values[input.name] ?? ''}
                  onChange={(e) => setValues({ ...values, [input.name]: e.target.value })}
                  placeholder="empty = missing"
                />
              </label>
            ))}
            {info.explainRefusal === null ? (
              <label>
                <span>
                  <input
                    data-testid="predict-explain"
                    type="checkbox"
                    checked={explain}
                    onChange={(e) => setExplain(e.target.checked)}
                  />{' '}
                  explain ({info.algorithm === 'linear' ? 'exact linear SHAP' : 'exact TreeSHAP'})
                </span>
              </label>
            ) : (
              <p className="muted" data-testid="explain-unavailable">
                No explanations: {info.explainRefusal}
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
