import type { ModelVersionInfo } from '../../../../main/contracts/api.js';
import { HorizontalBars, palette, TrainingCurve } from '../../components/charts.js';
import { CalibrationTable, type CalibrationSummary } from './calibration-table.js';

/** The tree kernels' names as a reader knows them (KernelName in workers/gbdt/kernel.ts). */
const kernelLabels = { native: 'native (C)', 'wasm-simd': 'WebAssembly (SIMD)', typescript: 'TypeScript' } as const;

/**
 * What training wrote about a version, one part a tab: the search, cross-validation and threshold (evaluation);
 * importance and coefficients (explanations); back end, out-of-bag score and loss curve (how it was trained).
 */
export function VersionReport({
  version,
  part,
}: {
  version: ModelVersionInfo;
  part: 'evaluation' | 'explanations' | 'training';
}) {
  const report = version.report as
    | {
        importance?: { feature: string; gain: number; splits: number }[];
        permutationImportance?: { feature: string; increase: number }[];
        oobScore?: { metric: string; value: number; rows: number };
        /** Tree learners: the kernel that grew the trees. */
        kernel?: keyof typeof kernelLabels;
        /** Why the kernel pinned in the settings did not grow them (it cannot run here). */
        kernelPinSkipped?: string;
        /** Which faster kernel the automatic choice passed over for failing the back-end check, and why. */
        kernelPassedOver?: string;
        /** Boosted trees: the boosting rounds' time alone, and the whole fit's (binning and hand-off included). */
        boostMs?: number;
        fitMs?: number;
        /** Where the large nodes' histograms were built (HEARTH_GBDT_DEVICE=webgpu); null on the CPU. */
        histogramDevice?: { device: 'webgpu'; adapter: string; gpuNodes: number; cpuNodes: number; minRows: number } | null;
        backend?: { name: string; device?: string; simd: boolean | null; skipped: { name: string; reason: string }[] };
        epochs?: number;
        bestEpoch?: number;
        crossValidation?: { folds: number; metrics: Record<string, { mean: number; std: number }> } | null;
        warnings?: { kind: string; message: string }[];
        leaderboard?:
          | {
              algorithm: string;
              params: Record<string, unknown>;
              cvMetric: number;
              cvStd: number;
              /** Log loss after cross-fitted calibration: what the search ranked by. */
              cvCalibrated?: number;
              fitSeconds: number;
              /** The candidate's last fold model: ONNX bytes and single-row p50 (absent when not measured). */
              modelBytes?: number;
              latencyUs?: number;
              /** With limits: the limits it breaks (empty: within them). */
              overLimit?: string[];
            }[]
          | null;
        search?: {
          metric: string;
          folds: number;
          trials: number;
          limits?: {
            maxSizeKb: number | null;
            maxLatencyUs: number | null;
            finalChecks: { algorithm: string; modelBytes: number; latencyUs: number; overLimit: string[]; kept: boolean }[];
          } | null;
          ensemble?: { candidates: number; members: number; cvMetric: number; bestSingle: number; kept: boolean } | null;
          imbalance?: {
            compared: { strategy: string; threshold: string; metric: string; cvMetric: number; cvStd: number }[];
            chosen: { strategy: string; threshold: string };
          } | null;
          calibration?: CalibrationSummary | null;
        } | null;
        members?: { algorithm: string; weight: number }[];
        decisionThreshold?: { threshold: number; tunedOn: string } | null;
        history?: { iteration: number; loss: number; validationLoss: number | null }[];
      }
    | undefined;
  const reportMore = version.report as
    | {
        history?: { iteration: number; loss: number }[];
        coefficients?: { feature: string; output: string; weight: number }[];
      }
    | undefined;
  if (part === 'explanations')
    return (
      <>
        {report?.importance !== undefined && (
          <div data-testid="importance-chart">
            <h4>Feature importance (total split gain)</h4>
            <HorizontalBars
              data={report.importance}
              category="feature"
              value="gain"
              labelWidth={160}
              rowHeight={20}
              minHeight={160}
              fill={palette[1]}
            />
          </div>
        )}
        {report?.permutationImportance !== undefined && report.permutationImportance.length > 0 && (
          <div data-testid="permutation-chart">
            <h4>Permutation importance (validation loss increase when a feature is shuffled)</h4>
            <HorizontalBars
              data={report.permutationImportance}
              category="feature"
              value="increase"
              labelWidth={160}
              rowHeight={20}
              minHeight={160}
              fill={palette[2]}
            />
          </div>
        )}
        {reportMore?.coefficients !== undefined && (
          <>
            <h4>Largest coefficients (standardised features)</h4>
            <HorizontalBars
              data={reportMore.coefficients.map((c) => ({ name: `${c.feature} → ${c.output}`, weight: c.weight }))}
              category="name"
              value="weight"
              labelWidth={200}
              rowHeight={18}
              minHeight={160}
              fill={palette[1]}
            />
          </>
        )}
      </>
    );
  if (part === 'training')
    return (
      <>
        {report?.backend !== undefined && (
          <p className="muted" data-testid="mlp-backend">
            Trained on the TensorFlow.js <strong>{report.backend.name}</strong> back end
            {report.backend.device !== undefined ? ` (${report.backend.device})` : report.backend.simd === true ? ' (SIMD)' : ''}
            {report.backend.skipped.length > 0
              ? `; passed over: ${report.backend.skipped.map((b) => `${b.name} (${b.reason})`).join('; ')}`
              : ''}
            {report.epochs !== undefined ? `; ${report.epochs} epochs, best ${report.bestEpoch ?? '?'}` : ''}
          </p>
        )}
        {report?.kernel !== undefined && (
          <p className="muted" data-testid="tree-kernel">
            Trees grown by the <strong>{kernelLabels[report.kernel]}</strong> kernel
            {report.boostMs !== undefined &&
              report.fitMs !== undefined &&
              ` in ${(report.boostMs / 1000).toFixed(2)} s of boosting (${(report.fitMs / 1000).toFixed(2)} s with binning)`}
            {report.histogramDevice !== undefined &&
              report.histogramDevice !== null &&
              `; histograms of nodes of ${report.histogramDevice.minRows.toLocaleString()}+ rows on the GPU (${report.histogramDevice.adapter.replace(/^software:/, 'software adapter: ')}): ${report.histogramDevice.gpuNodes.toLocaleString()} of ${(report.histogramDevice.gpuNodes + report.histogramDevice.cpuNodes).toLocaleString()} nodes`}
            {report.kernelPinSkipped !== undefined && `; ${report.kernelPinSkipped}`}
            {report.kernelPassedOver !== undefined && `; ${report.kernelPassedOver}`}
          </p>
        )}
        {report?.oobScore !== undefined && (
          <p className="muted" data-testid="oob-score">
            Out-of-bag {report.oobScore.metric}: {report.oobScore.value.toFixed(4)} on {report.oobScore.rows} training rows
          </p>
        )}
        {report?.history !== undefined && report.history.length > 1 && (
          <>
            <h4>Training curve</h4>
            <TrainingCurve data={report.history} height={200} />
          </>
        )}
      </>
    );
  return (
    <>
      {report?.decisionThreshold !== undefined && report.decisionThreshold !== null && (
        <p className="muted" data-testid="decision-threshold">
          Decision threshold {report.decisionThreshold.threshold.toFixed(3)} (tuned for F1 on the{' '}
          {report.decisionThreshold.tunedOn} rows); the metrics above use it.
        </p>
      )}
      {report?.crossValidation !== undefined && report.crossValidation !== null && (
        <div data-testid="cross-validation">
          <h4>{report.crossValidation.folds}-fold cross-validation (training rows)</h4>
          <table>
            <tbody>
              {Object.entries(report.crossValidation.metrics).map(([k, m]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>
                    {m.mean.toFixed(4)} ± {m.std.toFixed(4)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {report?.leaderboard !== undefined &&
        report.leaderboard !== null &&
        report.search !== undefined &&
        report.search !== null && (
          <div data-testid="leaderboard">
            <h4>
              Search: {report.search.trials} candidates, {report.search.folds}-fold cross-validated {report.search.metric}
            </h4>
            <table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>Learner</th>
                  <th>Parameters</th>
                  <th>{report.search.metric}</th>
                  {report.leaderboard.some((e) => e.cvCalibrated !== undefined) && (
                    <th title="Each fold calibrated by the others, as the served model is: what the search ranked by">
                      calibrated
                    </th>
                  )}
                  <th>Seconds</th>
                  <th title="The candidate's ONNX graph, serialized (its last cross-validation fold's model)">Size KB</th>
                  <th title="Single-row p50 through ONNX Runtime, 200 calls">Latency µs</th>
                  {(report.search.limits ?? null) !== null && <th>Limits</th>}
                </tr>
              </thead>
              <tbody>
                {report.leaderboard.slice(0, 15).map((e, i) => (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td>{e.algorithm}</td>
                    <td>
                      <code>{describeParams(e.params)}</code>
                    </td>
                    <td>
                      {e.cvMetric.toFixed(4)} ± {e.cvStd.toFixed(4)}
                    </td>
                    {report.leaderboard!.some((x) => x.cvCalibrated !== undefined) && (
                      <td data-testid={`leaderboard-calibrated-${i}`}>{e.cvCalibrated?.toFixed(4) ?? '—'}</td>
                    )}
                    <td>{e.fitSeconds.toFixed(1)}</td>
                    <td data-testid={`leaderboard-size-${i}`}>
                      {e.modelBytes === undefined ? '—' : (e.modelBytes / 1024).toFixed(1)}
                    </td>
                    <td data-testid={`leaderboard-latency-${i}`}>{e.latencyUs?.toFixed(1) ?? '—'}</td>
                    {(report.search!.limits ?? null) !== null && (
                      <td data-testid={`leaderboard-limit-${i}`} className={(e.overLimit?.length ?? 0) > 0 ? 'error' : ''}>
                        {e.overLimit === undefined
                          ? 'not measured'
                          : e.overLimit.length > 0
                            ? `over limit (${e.overLimit.join(', ')})`
                            : 'within'}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            {report.search.limits !== undefined && report.search.limits !== null && (
              <p className="muted" data-testid="leaderboard-limits">
                Limits: {report.search.limits.maxSizeKb === null ? '' : `at most ${report.search.limits.maxSizeKb} KB `}
                {report.search.limits.maxLatencyUs === null ? '' : `at most ${report.search.limits.maxLatencyUs} µs a row `}
                (candidates over them are not chosen). Final fit checked:{' '}
                {report.search.limits.finalChecks
                  .map(
                    (c) =>
                      `${c.algorithm} ${(c.modelBytes / 1024).toFixed(1)} KB, ${c.latencyUs.toFixed(1)} µs — ${c.kept ? 'kept' : 'over, the next eligible taken'}`,
                  )
                  .join('; ')}
              </p>
            )}
            {report.search.ensemble !== undefined && report.search.ensemble !== null && (
              <p className="muted" data-testid="ensemble-summary">
                Ensemble selection over the best {report.search.ensemble.candidates} candidates:{' '}
                {report.search.ensemble.kept
                  ? `a blend of ${report.search.ensemble.members} scored ${report.search.ensemble.cvMetric.toFixed(4)} against the best single ${report.search.ensemble.bestSingle.toFixed(4)}, so the blend was kept`
                  : `no blend beat the best single candidate (${report.search.ensemble.bestSingle.toFixed(4)})`}
                {report.members !== undefined
                  ? ` — members: ${report.members.map((m) => `${m.algorithm} ${(m.weight * 100).toFixed(0)}%`).join(', ')}`
                  : ''}
              </p>
            )}
            {report.search.imbalance !== undefined && report.search.imbalance !== null && (
              <div data-testid="imbalance-table">
                <h4>
                  Imbalance treatments (cross-validated); kept: {report.search.imbalance.chosen.strategy}, threshold{' '}
                  {report.search.imbalance.chosen.threshold}
                </h4>
                <table>
                  <thead>
                    <tr>
                      <th>Treatment</th>
                      <th>Threshold</th>
                      <th>Metric</th>
                      <th>Value</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.search.imbalance.compared.map((r, i) => (
                      <tr key={i}>
                        <td>{r.strategy}</td>
                        <td>{r.threshold}</td>
                        <td>{r.metric}</td>
                        <td>
                          {r.cvMetric.toFixed(4)} ± {r.cvStd.toFixed(4)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {report.search.calibration !== undefined && report.search.calibration !== null && (
              <CalibrationTable calibration={report.search.calibration} />
            )}
          </div>
        )}
    </>
  );
}

/** A leaderboard entry's parameters in one line; an ensemble lists its members and weights. */
function describeParams(params: Record<string, unknown>): string {
  if (params.algorithm === 'ensemble' && Array.isArray(params.members)) {
    return (params.members as { algorithm: string; weight: number }[])
      .map((m) => `${m.algorithm} ×${m.weight.toFixed(2)}`)
      .join(' + ');
  }
  return Object.entries(params)
    .filter(([k]) => k !== 'algorithm')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}
