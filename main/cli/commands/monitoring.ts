import { HearthError } from '../../contracts/errors.js';
import { parseRef } from '../../serving/batch.js';
import { cellValue } from '../../table/frame.js';
import { readCsv } from '../../data/csv.js';
import { type Command, UsageError, required } from '../command.js';
import { argsFromFlags, requiredFlagFor } from '../flags.js';

export const feedbackCommand: Command = {
  name: 'feedback',
  summary: 'late labels joined to served predictions by id',
  usage: `  feedback --model NAME FILE          late labels: a CSV with an id column (from predict) and the model's target`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    if (rest.length !== 1) throw new UsageError('feedback takes one FILE');
    const name = required(flags, 'model');
    const { target } = await client.call('models.version', { name });
    const { frame } = await readCsv(rest[0]!);
    const idColumn = frame.columns.find((c) => c.name === 'id');
    const labelColumn = frame.columns.find((c) => c.name === target);
    if (idColumn === undefined || labelColumn === undefined)
      throw new HearthError('VALIDATION_FAILED', `the file needs an "id" column and a "${target}" column`);
    const labels: { id: string; label: string | number }[] = [];
    for (let r = 0; r < frame.rowCount; r++) {
      const id = cellValue(idColumn, r);
      const label = cellValue(labelColumn, r);
      if (id !== null && label !== null)
        labels.push({ id: String(id), label: typeof label === 'number' ? label : String(label) });
    }
    const result = await client.call('models.feedback', { name, labels });
    out.result(
      result,
      () => `${result.matched} labels joined${result.unknown.length > 0 ? `; ${result.unknown.length} ids not in the log` : ''}`,
    );
    return 0;
  },
};

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'served rows, latency, realised and estimated metrics per window',
  usage: `  monitor --model NAME[@V] [--window hour|day|SECONDS] [--since ISO] [--until ISO]
                                      served rows, latency, realised metrics on late labels and the label-free
                                      estimate per window`,
  run: async ({ flags, out, open }) => {
    const { client } = open();
    const { name, version } = parseRef(required(flags, 'model'));
    const span = flags.window ?? 'hour';
    const windowSeconds = span === 'hour' ? 3600 : span === 'day' ? 86400 : Number(span);
    if (!Number.isInteger(windowSeconds) || windowSeconds < 60)
      throw new UsageError('--window is hour, day or a number of seconds (at least 60)');
    const report = await client.call('models.monitor', {
      name,
      windowSeconds,
      ...(version === undefined ? {} : { version }),
      ...(flags.since === undefined ? {} : { since: flags.since }),
      ...(flags.until === undefined ? {} : { until: flags.until }),
    });
    const fmt = (m: Record<string, number> | null) =>
      m === null
        ? '–'
        : Object.entries(m)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(', ');
    out.result(report, () =>
      [
        `${report.model} v${report.version}, windows of ${report.windowSeconds} s:`,
        ...report.windows.map(
          (w) =>
            `${w.start}  ${w.rows} rows, p50 ${w.latencyMs.p50.toFixed(2)} ms, p99 ${w.latencyMs.p99.toFixed(2)} ms, ${w.labelled} labelled\n` +
            `    realised: ${fmt(w.realised)}\n    estimated: ${fmt(w.estimated)}`,
        ),
      ].join('\n'),
    );
    return 0;
  },
};

export const driftCommand: Command = {
  name: 'drift',
  summary: 'drift of inputs and predictions against the training data',
  usage: `  drift --model NAME[@V] [--since ISO] [--until ISO]
                                      drift of inputs and predictions: training data against served rows`,
  run: async ({ flags, out, open }) => {
    const { client } = open();
    const { name, version } = parseRef(required(flags, 'model'));
    const report = await client.call('models.drift', {
      name,
      ...(version === undefined ? {} : { version }),
      ...(flags.since === undefined ? {} : { since: flags.since }),
      ...(flags.until === undefined ? {} : { until: flags.until }),
    });
    out.result(report, () =>
      [
        `${report.model} v${report.version}: ${report.window.rows} served rows against ${report.reference.dataset} v${report.reference.version} (${report.reference.rows} rows)`,
        ...[...report.features.columns, report.prediction].map(
          (c) =>
            `  ${c.drifted ? 'DRIFT' : c.enoughData ? 'ok   ' : 'few  '}  ${c.column.padEnd(24)} ${c.test.padEnd(13)} ${c.statistic.toFixed(4)}${c.pValue === null ? '' : ` (p ${c.pValue.toPrecision(3)}, adjusted ${c.adjustedPValue!.toPrecision(3)})`}${c.enoughData ? '' : `: not enough data (${Math.min(c.referenceRows, c.currentRows)} rows < ${report.features.minimumRows})`}`,
        ),
        ...report.features.skipped.map((k) => `  n/a    ${k.column.padEnd(24)} ${k.reason}`),
        `${report.features.drifted} of ${report.features.columns.length - report.features.notEnoughData} features drifted (${(report.features.share * 100).toFixed(0)}%; p-values Holm-adjusted across features)${report.features.notEnoughData > 0 ? `, ${report.features.notEnoughData} with not enough data` : ''}: ${report.features.datasetDrifted ? 'the data set has drifted' : 'no data-set drift'}`,
      ].join('\n'),
    );
    return 0;
  },
};

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'alert rules and the alerts they fired',
  usage: `  alerts list [--firing] | rules | check | remove NAME
       | add NAME --model M --kind drift|metric|latency|error-rate|validation|new-rows --threshold X
             [--window SECONDS] [--metric roc_auc --source realised|estimated] [--webhook URL] [--retrain]
                                      alert rules checked every minute by the server; an alert fires once per episode`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [action, ruleName] = rest;
    const line = (a: { status: string; rule: string; message: string; startedAt: string; resolvedAt: string | null }) =>
      `${a.status === 'firing' ? 'FIRING  ' : 'resolved'}  ${a.rule}: ${a.message} (since ${a.startedAt}${a.resolvedAt === null ? '' : `, until ${a.resolvedAt}`})`;
    if (action === 'list' || action === undefined) {
      const alerts = await client.call('alerts.list', { firing: flags.firing === true });
      out.result(alerts, () => alerts.map(line).join('\n') || 'No alerts.');
      return 0;
    }
    if (action === 'rules') {
      const rules = await client.call('alerts.rules', {});
      out.result(
        rules,
        () =>
          rules
            .map(
              (r) =>
                `${r.name}: ${r.model} ${r.kind}${r.metric === null ? '' : ` ${r.source} ${r.metric}`} threshold ${r.threshold} over ${r.windowSeconds} s${r.webhook === null ? '' : ` → ${r.webhook}`}`,
            )
            .join('\n') || 'No alert rules.',
      );
      return 0;
    }
    if (action === 'check') {
      const changed = await client.call('alerts.check', {});
      out.result(changed, () => changed.map(line).join('\n') || 'Nothing changed.');
      return 0;
    }
    if (action === 'remove') {
      if (ruleName === undefined) throw new UsageError('alerts remove NAME');
      out.result(await client.call('alerts.remove-rule', { name: ruleName }), () => `Removed ${ruleName}`);
      return 0;
    }
    if (action === 'add') {
      if (ruleName === undefined) throw new UsageError('alerts add NAME --model M --kind KIND --threshold X');
      const rule = await client.call('alerts.add-rule', {
        name: ruleName,
        model: requiredFlagFor(flags, 'model', 'alerts.add-rule', 'model'),
        kind: requiredFlagFor(flags, 'kind', 'alerts.add-rule', 'kind'),
        threshold: requiredFlagFor(flags, 'threshold', 'alerts.add-rule', 'threshold'),
        ...argsFromFlags(flags, 'alerts.add-rule', {
          windowSeconds: 'window',
          metric: 'metric',
          source: 'source',
          webhook: 'webhook',
        }),
        retrain: flags.retrain === true,
      });
      out.result(rule, () => `Added alert rule ${rule.name}`);
      return 0;
    }
    throw new UsageError('alerts takes list, rules, check, add or remove');
  },
};

export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'train a challenger on the newest data and promote it if better',
  usage: `  retrain MODEL [--no-promote]        a challenger with production's settings on the newest data version, promoted
                                      only if better on its holdout`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    if (rest.length !== 1) throw new UsageError('retrain takes one MODEL');
    const result = await client.call('models.retrain', { name: rest[0]!, promote: flags['no-promote'] !== true });
    const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
    out.result(
      result,
      () =>
        `${result.model}: challenger v${result.challenger.version} (${result.dataset.name} v${result.dataset.version}) ${result.metric} ${fmt(result.challenger.score)} ` +
        `against production v${result.production.version} ${fmt(result.production.score)} on ${result.holdoutRows} held-out rows: ` +
        `${result.promoted ? 'promoted' : 'not promoted'} (${result.reason})`,
    );
    return 0;
  },
};
