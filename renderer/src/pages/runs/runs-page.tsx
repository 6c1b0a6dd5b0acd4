import { useCallback, useEffect, useState } from 'react';
import type { RunComparison, RunSummary } from '../../../../main/contracts/api.js';
import { argumentIssues } from '../../../../main/contracts/validate.js';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { fieldMessages } from '../../components/errors.js';
import { FieldError } from '../../components/field.js';
import { FilterSelect, SearchBox, SortHeader, useListView, type SortColumn } from '../../components/list-view.js';
import { useCall } from '../../components/use-call.js';
import { Explanations, Overlay, Trials } from './comparison-charts.js';
import { RunBudget } from './run-budget.js';
import { ConfusionMatrix } from '../../components/confusion-matrix.js';
import { CostTable, cpuHoursText, priceText } from '../../components/cost-table.js';
import { CostQuality, ParamDiff } from './run-diff.js';

const runColumns: SortColumn<RunSummary>[] = [
  { key: 'started', value: (r) => r.createdAt },
  { key: 'status', value: (r) => r.status },
  { key: 'algorithm', value: (r) => r.algorithm },
  { key: 'data', value: (r) => `${r.dataset} ${r.target}` },
  { key: 'model', value: (r) => (r.model === null ? null : `${r.model} ${String(r.version).padStart(6, '0')}`) },
  { key: 'seconds', value: (r) => r.durationMs },
];
const runText = (r: RunSummary): string => [r.id, r.status, r.algorithm, r.dataset, r.target, r.model ?? '', ...r.tags].join(' ');
const headers = [
  ['started', 'Run'],
  ['status', 'Status'],
  ['algorithm', 'Learner'],
  ['data', 'Data'],
  ['model', 'Model'],
] as const;

/**
 * Training runs as experiments: search, filter and sort them, tag them, pick some and see their metrics, the
 * parameters that differ, cost against quality, and their curves side by side.
 */
export function RunsPage() {
  const client = useClient();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [comparison, setComparison] = useState<RunComparison | null>(null);
  const [status, setStatus] = useState('');
  const [algorithm, setAlgorithm] = useState('');
  const [tag, setTag] = useState('');
  const [tagError, setTagError] = useState<string | undefined>(undefined);
  const { error, run, fail } = useCall();

  useEffect(() => {
    client.call('runs.list', {}).then(setRuns, fail);
  }, [client, fail]);

  const keep = useCallback(
    (r: RunSummary) => (status === '' || r.status === status) && (algorithm === '' || r.algorithm === algorithm),
    [status, algorithm],
  );
  const list = useListView(runs, runText, runColumns, keep);

  const compare = () => run(async () => setComparison(await client.call('runs.compare', { ids: picked })));

  /** Tags (or untags) runs, one call each; the list shows what the server answered. */
  const retag = (ids: readonly string[], name: string, remove: boolean) =>
    run(async () => {
      setTagError(undefined);
      try {
        for (const id of ids) {
          const updated = await client.call('runs.tag', { id, tag: name, ...(remove ? { remove: true } : {}) });
          setRuns((list) => list.map((r) => (r.id === updated.id ? updated : r)));
        }
        if (!remove) setTag('');
      } catch (e) {
        setTagError(fieldMessages(e).tag);
        throw e;
      }
    });

  const label = (id: string): string => {
    const r = comparison?.runs.find((x) => x.id === id);
    return r === undefined ? id.slice(0, 8) : `${r.algorithm} ${r.model ?? ''} v${r.version ?? '?'}`;
  };

  return (
    <section>
      <h2>Runs</h2>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="list-tools">
        <SearchBox
          testId="runs"
          label="Search runs: id, data, model, tag"
          value={list.query}
          onChange={list.setQuery}
          shown={list.shown.length}
          total={runs.length}
        />
        <FilterSelect
          label="Status"
          testId="runs-filter-status"
          value={status}
          onChange={setStatus}
          options={[...new Set(runs.map((r) => r.status))].sort()}
        />
        <FilterSelect
          label="Learner"
          testId="runs-filter-algorithm"
          value={algorithm}
          onChange={setAlgorithm}
          options={[...new Set(runs.map((r) => r.algorithm))].sort()}
        />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const name = tag.trim();
            if (name === '' || picked.length === 0) return;
            // The contract's own check first: a tag the server would refuse is not sent.
            const issue = argumentIssues('runs.tag', { id: picked[0], tag: name }).find((i) => i.path[0] === 'tag');
            if (issue !== undefined) setTagError(issue.message);
            else void retag(picked, name, false);
          }}
        >
          <label>
            Tag the picked runs{' '}
            <input
              data-testid="run-tag-input"
              value={tag}
              placeholder="baseline"
              aria-invalid={tagError !== undefined}
              aria-describedby={tagError !== undefined ? 'run-tag-input-error' : undefined}
              onChange={(e) => {
                setTag(e.target.value);
                setTagError(undefined);
              }}
            />
          </label>{' '}
          <button type="submit" data-testid="run-tag-add" disabled={picked.length === 0 || tag.trim() === ''}>
            Tag {picked.length}
          </button>{' '}
          <FieldError testId="run-tag-input" message={tagError} />
        </form>
      </div>
      <table data-testid="runs-table">
        <thead>
          <tr>
            <th />
            {headers.map(([key, text]) => (
              <SortHeader key={key} label={text} column={key} sort={list.sort} onSort={list.toggle} testId="runs" />
            ))}
            <th>Tags</th>
            <th>Metrics</th>
            <SortHeader label="Seconds" column="seconds" sort={list.sort} onSort={list.toggle} testId="runs" />
            <th>Cost</th>
          </tr>
        </thead>
        <tbody>
          {list.shown.map((r) => (
            <tr key={r.id} data-testid={`run-row-${r.id}`}>
              <td>
                <input
                  type="checkbox"
                  data-testid={`run-pick-${r.id}`}
                  aria-label={`Pick run ${r.id} for comparison`}
                  disabled={r.status !== 'succeeded'}
                  checked={picked.includes(r.id)}
                  onChange={(e) => setPicked(e.target.checked ? [...picked, r.id] : picked.filter((p) => p !== r.id))}
                />
              </td>
              <td>
                <code>{r.id.slice(0, 8)}</code>
              </td>
              <td>{r.status}</td>
              <td>{r.algorithm}</td>
              <td>
                {r.dataset} v{r.datasetVersion ?? '?'} → {r.target}
              </td>
              <td>{r.model === null ? '' : `${r.model} v${r.version}`}</td>
              <td data-testid={`run-tags-${r.id}`}>
                {r.tags.map((t) => (
                  <span key={t} className="tag">
                    {t}{' '}
                    <button
                      type="button"
                      data-testid={`run-untag-${r.id}-${t}`}
                      aria-label={`remove tag ${t}`}
                      onClick={() => void retag([r.id], t, true)}
                    >
                      ×
                    </button>
                  </span>
                ))}
              </td>
              <td>
                {Object.entries(r.metrics)
                  .slice(0, 3)
                  .map(([k, v]) => `${k} ${v.toFixed(3)}`)
                  .join(' · ')}
              </td>
              <td>
                <RunBudget id={r.id} durationMs={r.durationMs} budget={r.budget} />
              </td>
              <td>
                {r.cost !== null && (
                  <details data-testid={`run-cost-${r.id}`}>
                    <summary>
                      {cpuHoursText(r.cost.training.cpuHours)} CPU-h{priceText(r.cost, r.cost.price?.training ?? null)}
                    </summary>
                    <CostTable cost={r.cost} testId={`run-cost-table-${r.id}`} />
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionButton data-testid="runs-compare" disabled={picked.length < 2} action={compare}>
        Compare {picked.length} runs
      </ActionButton>
      {comparison !== null && (
        <div className="card" data-testid="runs-comparison">
          <table>
            <thead>
              <tr>
                <th />
                {comparison.runs.map((r) => (
                  <th key={r.id}>{label(r.id)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {comparison.metrics.map((m) => (
                <tr key={m}>
                  <td>{m}</td>
                  {comparison.runs.map((r) => (
                    <td key={r.id}>{r.metrics[m]?.toFixed(4) ?? '–'}</td>
                  ))}
                </tr>
              ))}
              {(['fitMs', 'peakRssMb', 'modelBytes', 'predictLatencyUs'] as const).map((k) => (
                <tr key={k} className="muted">
                  <td>{k}</td>
                  {comparison.runs.map((r) => (
                    <td key={r.id}>{comparison.resources[r.id]?.[k] ?? '–'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="grid">
            <ParamDiff comparison={comparison} label={label} />
            <CostQuality comparison={comparison} label={label} />
          </div>
          {comparison.runs.some((r) => comparison.curves[r.id] !== null) && (
            <div className="grid" data-testid="runs-curves">
              <Overlay
                title="ROC curves"
                xLabel="false positive rate"
                series={comparison.runs.map((r) => ({ name: label(r.id), points: comparison.curves[r.id] ?? null }))}
              />
              <Overlay
                title="Precision–recall curves"
                xLabel="recall"
                series={comparison.runs.map((r) => ({ name: label(r.id), points: comparison.prCurves[r.id] ?? null }))}
              />
              <Overlay
                title="Calibration (observed share against predicted probability)"
                xLabel="predicted probability"
                series={comparison.runs.map((r) => ({
                  name: label(r.id),
                  points: comparison.calibration[r.id]?.map((b) => ({ x: b.predicted, y: b.observed })) ?? null,
                }))}
                diagonal
              />
            </div>
          )}
          <Explanations comparison={comparison} label={label} />
          <Trials comparison={comparison} label={label} />
          {comparison.runs.some((r) => comparison.confusion[r.id] !== null) && (
            <div className="matrices" data-testid="runs-confusion">
              {comparison.runs.map((r) => {
                const c = comparison.confusion[r.id];
                if (c === null || c === undefined) return null;
                return (
                  <ConfusionMatrix
                    key={r.id}
                    matrix={c.matrix}
                    classes={c.classes}
                    caption={`Confusion matrix, ${label(r.id)}`}
                    testId={`runs-confusion-${r.id}`}
                    wide={false}
                  />
                );
              })}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
