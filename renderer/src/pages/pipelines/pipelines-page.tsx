import { useCallback, useEffect, useState } from 'react';
import type { PipelinePreview, PipelineRunInfo, PipelineSummary } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

const starter = `name: my-pipeline
sources:
  input: DATASET          # a dataset, or DATASET@VERSION
steps:
  - from: input
  - derive:
      # expressions: arithmetic, comparisons, and/or/not, in (…), is null, if(), round(), concat(), year(), …
      example: 1
  - filter: example = 1
output: my-output
`;

function inputsLine(run: { inputs: PipelineRunInfo['inputs'] }): string {
  return run.inputs
    .map(
      (i) =>
        `${i.dataset} v${i.version} ${i.role === 'rows' ? `(+${i.rows} rows${i.removed === undefined ? '' : `, ${i.removed} removed upstream`})` : '(lookup)'}`,
    )
    .join(', ');
}

function runLine(run: PipelineRunInfo): string {
  if (run.status === 'failed') return `Run #${run.id} failed: ${run.error ?? ''}`;
  if (run.status === 'cancelled') return `Run #${run.id} was cancelled; nothing was written.`;
  if (run.status === 'up-to-date') return `Run #${run.id}: up to date, no new rows in ${inputsLine(run)}.`;
  return run.output.version === null
    ? `Run #${run.id}: ${run.rowsIn} new rows read, none reached ${run.output.dataset}.`
    : `Run #${run.id}: ${run.rowsIn} ${run.mode === 'rebuild' ? 'input rows (rebuild)' : 'new rows'} from ${inputsLine(run)} → ${run.rowsOut} ${run.mode === 'rebuild' ? 'written' : 'appended'} as ${run.output.dataset} v${run.output.version}${run.quarantined > 0 ? `, ${run.quarantined} set aside` : ''}.`;
}

/** One step of a preview: what it did to the row count, and its first rows. */
function StepPreview({ step }: { step: PipelinePreview['steps'][number] }) {
  const columns = step.columns.map((c) => c.name);
  return (
    <details open data-testid={`preview-step-${step.index}`}>
      <summary>
        {step.index}. <code>{step.label}</code> → <strong data-testid={`preview-step-${step.index}-rows`}>{step.rows}</strong>{' '}
        rows, {columns.length} columns{step.setAside > 0 ? `, ${step.setAside} set aside` : ''}
      </summary>
      {step.sample.length > 0 && (
        <table>
          <thead>
            <tr>
              {step.columns.map((c) => (
                <th key={c.name} title={c.type}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {step.sample.map((row, r) => (
              <tr key={r}>
                {columns.map((c) => (
                  <td key={c}>{row[c] === null || row[c] === undefined ? <span className="muted">–</span> : String(row[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/**
 * Pipelines: edit a pipeline file, preview what its next run does step by step (on the first rows of what is new),
 * run it with live progress, and see each run's lineage: which input versions made which output version. Files and
 * SQL sources run from the CLI (`hearth pipeline run FILE`); here a pipeline reads datasets.
 */
export function PipelinesPage() {
  const client = useClient();
  const [pipelines, setPipelines] = useState<PipelineSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [definition, setDefinition] = useState(starter);
  const [preview, setPreview] = useState<PipelinePreview | null>(null);
  const [runs, setRuns] = useState<PipelineRunInfo[]>([]);
  const [rebuild, setRebuild] = useState(false);
  const [progress, setProgress] = useState<{ pipeline: string; text: string } | null>(null);
  const { message, error, run, fail } = useOutcome();

  const refresh = useCallback(
    (name: string | null) => {
      client.call('pipelines.list', {}).then(setPipelines, fail);
      if (name !== null) client.call('pipelines.runs', { name }).then(setRuns, fail);
    },
    [client, fail],
  );
  useEffect(() => refresh(selected), [refresh, selected]);
  useEffect(
    () =>
      client.on((event) => {
        if (event.name === 'pipelines.progress') {
          const p = event.data;
          setProgress({
            pipeline: p.pipeline,
            text: `${p.pipeline}: ${p.phase === 'step' ? `step ${p.step}/${p.steps}` : p.phase} ${p.label}`,
          });
        }
      }),
    [client],
  );

  const open = (name: string) =>
    void run(async () => {
      const stored = await client.call('pipelines.definition', { name });
      setSelected(name);
      setDefinition(stored.definition);
      setPreview(null);
      return `Loaded ${name}, file version ${stored.version}.`;
    });

  return (
    <section>
      <h2>Pipelines</h2>
      <div className="split">
        <div>
          <h3>Saved</h3>
          {pipelines.length === 0 ? (
            <p className="muted">None yet: a pipeline is saved, with each version of its file, when it first runs.</p>
          ) : (
            <ul className="list" data-testid="pipelines-list">
              {pipelines.map((p) => (
                <li
                  key={p.name}
                  className={p.name === selected ? 'selected' : ''}
                  onClick={() => open(p.name)}
                  data-testid={`pipeline-${p.name}`}
                >
                  <strong>{p.name}</strong> → {p.output}
                  <div className="muted">
                    {p.versions} file version{p.versions === 1 ? '' : 's'} ·{' '}
                    {p.lastRun === null ? 'never run' : `${p.lastRun.status} ${new Date(p.lastRun.finishedAt).toLocaleString()}`}
                  </div>
                </li>
              ))}
            </ul>
          )}
          <button
            onClick={() => {
              setSelected(null);
              setDefinition(starter);
              setPreview(null);
              setRuns([]);
            }}
          >
            New pipeline
          </button>
        </div>
        <div>
          <h3>Pipeline file (YAML or JSON)</h3>
          <textarea
            data-testid="pipeline-definition"
            aria-label="Pipeline file (YAML or JSON)"
            value={definition}
            onChange={(e) => setDefinition(e.target.value)}
            rows={18}
            spellCheck={false}
            style={{ width: '100%', fontFamily: 'monospace' }}
          />
          <div className="toolbar">
            <button
              data-testid="pipeline-preview"
              onClick={() =>
                void run(async () => {
                  const p = await client.call('pipelines.preview', { definition, sampleRows: 10 });
                  setPreview(p);
                  return `Preview of the next run: it reads ${inputsLine(p)}${p.truncated ? ' (shown on the first 1,000 new rows)' : ''}.`;
                })
              }
            >
              Preview
            </button>
            <button
              data-testid="pipeline-run"
              onClick={() =>
                void run(async () => {
                  setProgress(null);
                  try {
                    const result = await client.call('pipelines.run', { definition, ...(rebuild ? { rebuild: true } : {}) });
                    setSelected(result.pipeline);
                    refresh(result.pipeline);
                    return runLine(result);
                  } catch (e) {
                    // A failed run is recorded too: show it with the others.
                    refresh(selected);
                    throw e;
                  } finally {
                    setProgress(null);
                  }
                })
              }
            >
              Run
            </button>
            <label title="Read every input row, not only the new ones, and write the output anew (after the file changed)">
              <input
                type="checkbox"
                data-testid="pipeline-rebuild"
                checked={rebuild}
                onChange={(e) => setRebuild(e.target.checked)}
              />{' '}
              rebuild from all input rows
            </label>
          </div>
          {progress !== null && (
            <p className="muted" data-testid="pipeline-progress">
              {progress.text}{' '}
              <button
                data-testid="pipeline-cancel"
                onClick={() => void client.call('pipelines.cancel', { name: progress.pipeline }).catch(fail)}
              >
                Cancel
              </button>
            </p>
          )}
          <Outcome prefix="pipeline" message={message} error={error} />
          {preview !== null && (
            <div data-testid="pipeline-preview-steps">
              <h3>Step by step</h3>
              {preview.steps.map((step) => (
                <StepPreview key={step.index} step={step} />
              ))}
            </div>
          )}
          {runs.length > 0 && (
            <>
              <h3>Runs and lineage</h3>
              <table data-testid="pipeline-runs">
                <thead>
                  <tr>
                    <th>Run</th>
                    <th>Status</th>
                    <th>File</th>
                    <th>Inputs read</th>
                    <th>Output</th>
                    <th>Rows in → out</th>
                    <th>Finished</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((r) => (
                    <tr key={r.id} data-testid={`pipeline-run-${r.id}`}>
                      <td>#{r.id}</td>
                      <td className={r.status === 'failed' ? 'error' : ''} title={r.error ?? ''}>
                        {r.status}
                      </td>
                      <td>
                        v{r.pipelineVersion}
                        {r.mode === 'rebuild' ? ' (rebuild)' : ''}
                      </td>
                      <td>{inputsLine(r)}</td>
                      <td>{r.output.version === null ? '–' : `${r.output.dataset} v${r.output.version}`}</td>
                      <td>
                        {r.rowsIn} → {r.rowsOut}
                        {r.quarantined > 0 ? ` (${r.quarantined} set aside)` : ''}
                      </td>
                      <td>{new Date(r.finishedAt).toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
