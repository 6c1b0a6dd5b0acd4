import type { CostFigures, CostSummary, CostWeekRow } from '../contracts/costs.js';
import { HearthError } from '../contracts/errors.js';
import type { Db } from '../store/database.js';
import type { CostRate } from '../stats/cost.js';
import { isoWeekOf, lastIsoWeeks } from '../stats/iso-week.js';

/*
 * The budget view: CPU-hours per model and ISO week, from what is already recorded. Training: each succeeded run's
 * CPU-seconds (its version's `cost.cpuMs`: the whole process, search, final fit, refit, explanation and export
 * included), in the week the run finished. Serving: the prediction log's rows per version and day, each costed at
 * its version's measured single-row p50 latency on one core (an ONNX Runtime call on one row runs on one thread),
 * the serving-side figure the run itself reported per million predictions. Nothing is priced without a rate.
 */

const weekMs = 7 * 86_400_000;
const microsecondsPerHour = 3.6e9;

const trainingMethod =
  "sum of succeeded runs' CPU-seconds (all threads of the process: search, fits, refit, explanation, export) / 3600, " +
  'in the ISO week (UTC) each run finished; failed and cancelled runs record no cost and are not counted';
const servingMethod =
  "logged predictions × their version's measured single-row p50 latency (one core busy per call), per ISO week " +
  '(UTC); batched calls cost less per row, so this is an upper estimate; versions with no measured latency ' +
  '(imported or pulled) are counted but not costed';

function zero(): CostFigures {
  return { runs: 0, trainingCpuHours: 0, predictions: 0, servingCpuHours: 0, unmeasuredPredictions: 0, price: null };
}

function add(into: CostFigures, from: CostFigures): void {
  into.runs += from.runs;
  into.trainingCpuHours += from.trainingCpuHours;
  into.predictions += from.predictions;
  into.servingCpuHours += from.servingCpuHours;
  into.unmeasuredPredictions += from.unmeasuredPredictions;
}

function priced<T extends CostFigures>(figures: T, rate: CostRate | null): T {
  if (rate === null) return figures;
  const training = figures.trainingCpuHours * rate.perCoreHour;
  const serving = figures.servingCpuHours * rate.perCoreHour;
  return { ...figures, price: { training, serving, total: training + serving } };
}

/** The summary over the `weeks` ISO weeks up to the one holding `nowMs`, for one model or all of them. */
export function costSummary(
  db: Db,
  args: { weeks?: number; model?: string },
  context: { rate: CostRate | null; logSample: number; nowMs: number },
): CostSummary {
  const weeks = lastIsoWeeks(context.nowMs, args.weeks ?? 12);
  const fromIso = new Date(weeks[0]!.startMs).toISOString();
  const toIso = new Date(weeks.at(-1)!.startMs + weekMs).toISOString();
  let modelId: number | null = null;
  if (args.model !== undefined) {
    const found = db.prepare('SELECT id FROM models WHERE name = ?').get(args.model) as { id: number } | undefined;
    if (found === undefined) throw new HearthError('NOT_FOUND', `no model named "${args.model}"`, { path: ['model'] });
    modelId = found.id;
  }
  const cells = new Map<string, CostWeekRow>();
  const cell = (model: string, week: string): CostWeekRow => {
    const key = `${week}\u0000${model}`;
    let row = cells.get(key);
    if (row === undefined) cells.set(key, (row = { model, week, ...zero() }));
    return row;
  };

  // Training: succeeded runs finished in the window, with their version's measured CPU time.
  const runs = db
    .prepare(
      `SELECT m.name AS model, j.finished_at AS finishedAt, json_extract(v.report_json, '$.cost.cpuMs') AS cpuMs
         FROM jobs j
         JOIN models m ON m.name = json_extract(j.result_json, '$.model')
         JOIN model_versions v ON v.model_id = m.id AND v.version = json_extract(j.result_json, '$.version')
        WHERE j.kind = 'train' AND j.status = 'succeeded' AND j.finished_at >= ? AND j.finished_at < ?
          AND (? IS NULL OR m.id = ?)`,
    )
    .all(fromIso, toIso, modelId, modelId) as { model: string; finishedAt: string; cpuMs: number | null }[];
  for (const run of runs) {
    if (typeof run.cpuMs !== 'number' || !Number.isFinite(run.cpuMs) || run.cpuMs < 0) continue;
    const row = cell(run.model, isoWeekOf(Date.parse(run.finishedAt)));
    row.runs++;
    row.trainingCpuHours += run.cpuMs / 1000 / 3600;
  }

  // Serving: logged rows per version and day (a day lies in one ISO week), costed at the version's p50.
  const scale = context.logSample > 0 && context.logSample < 1 ? 1 / context.logSample : 1;
  const served = db
    .prepare(
      `SELECT m.name AS model, l.version AS version, substr(l.at, 1, 10) AS day, count(*) AS n,
              json_extract(v.report_json, '$.cost.latency.p50Us') AS p50Us
         FROM prediction_log l
         JOIN models m ON m.id = l.model_id
         LEFT JOIN model_versions v ON v.model_id = l.model_id AND v.version = l.version
        WHERE l.at >= ? AND l.at < ? AND (? IS NULL OR l.model_id = ?)
        GROUP BY l.model_id, l.version, day`,
    )
    .all(fromIso, toIso, modelId, modelId) as { model: string; version: number; day: string; n: number; p50Us: number | null }[];
  for (const group of served) {
    const row = cell(group.model, isoWeekOf(Date.parse(`${group.day}T00:00:00Z`)));
    const predictions = group.n * scale;
    row.predictions += predictions;
    if (typeof group.p50Us === 'number' && Number.isFinite(group.p50Us) && group.p50Us > 0)
      row.servingCpuHours += (predictions * group.p50Us) / microsecondsPerHour;
    else row.unmeasuredPredictions += predictions;
  }

  const order = new Map(weeks.map((w, i) => [w.week, i]));
  const rows = [...cells.values()].sort((a, b) => order.get(a.week)! - order.get(b.week)! || a.model.localeCompare(b.model));
  const byModel = new Map<string, CostFigures & { model: string }>();
  const byWeek = new Map(weeks.map((w) => [w.week, { week: w.week, ...zero() }]));
  const total = zero();
  for (const row of rows) {
    if (!byModel.has(row.model)) byModel.set(row.model, { model: row.model, ...zero() });
    add(byModel.get(row.model)!, row);
    add(byWeek.get(row.week)!, row);
    add(total, row);
  }
  return {
    weeks: weeks.map((w) => ({ week: w.week, start: new Date(w.startMs).toISOString().slice(0, 10) })),
    rows: rows.map((r) => priced(r, context.rate)),
    byModel: [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model)).map((m) => priced(m, context.rate)),
    byWeek: [...byWeek.values()].map((w) => priced(w, context.rate)),
    total: priced(total, context.rate),
    rate: context.rate,
    logSample: context.logSample,
    method: { training: trainingMethod, serving: servingMethod },
  };
}
