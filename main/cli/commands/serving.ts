import { existsSync, readFileSync } from 'node:fs';
import { checkOutFile, writeOutFile } from '../out-file.js';
import { parseRef, predictFile } from '../../serving/batch.js';
import { predictionsCsv } from '../../serving/predictions-csv.js';
import { type Command, UsageError, required } from '../command.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'predict a file with a model version, as CSV or JSON',
  usage: `  predict --model NAME[@V] FILE [--out FILE] [--force]`,
  run: async ({ rest, flags, out, open }) => {
    if (rest.length !== 1) throw new UsageError('predict takes one FILE');
    const force = flags.force === true;
    // A refused --out costs no scoring.
    if (flags.out !== undefined) checkOutFile(flags.out, force);
    const { engine } = open();
    const batch = await predictFile(engine, required(flags, 'model'), rest[0]!);
    if (flags.out !== undefined) {
      writeOutFile(flags.out, predictionsCsv(batch), force);
      out.result(
        {
          model: batch.model,
          version: batch.version,
          rows: batch.predictions.length,
          quarantined: batch.quarantined,
          out: flags.out,
          executionProvider: batch.executionProvider,
        },
        () => `Wrote ${batch.predictions.length} predictions to ${flags.out} (ran on ${batch.executionProvider})`,
      );
    } else if (out.json)
      out.result(
        {
          model: batch.model,
          version: batch.version,
          executionProvider: batch.executionProvider,
          predictions: batch.predictions,
        },
        () => '',
      );
    else process.stdout.write(predictionsCsv(batch));
    return 0;
  },
};

export const explainCommand: Command = {
  name: 'explain',
  summary: 'why a model predicted what it did: exact SHAP contributions per feature',
  usage: `  explain --model NAME[@V] ROWS          ROWS: a JSON row or array of rows, or a .json file holding them;
                                      exact TreeSHAP for trees, exact linear SHAP for linear models (log-odds for
                                      binary, softmax logits for multiclass); ensembles, neural nets and imported
                                      graphs are refused with the reason`,
  run: async ({ rest, flags, out, open }) => {
    if (rest.length !== 1) throw new UsageError('explain takes one ROWS argument (JSON, or a .json file)');
    const text = existsSync(rest[0]!) ? readFileSync(rest[0]!, 'utf8') : rest[0]!;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError('ROWS must be a JSON object or array of objects (or a file holding one)');
    }
    const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, string | number | boolean | null>[];
    const { name, version } = parseRef(required(flags, 'model'));
    const { client } = open();
    const result = await client.call('models.predict', {
      name,
      ...(version === undefined ? {} : { version }),
      rows,
      explain: true,
    });
    out.result(result, () =>
      result.predictions
        .map((p, i) => {
          const e = p.explanation!;
          const answer = 'label' in p ? p.label : String(p.value);
          const lines = Object.entries(e.contributions)
            .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
            .map(([feature, phi]) => `    ${phi >= 0 ? '+' : ''}${phi.toFixed(6)}  ${feature}`);
          const total = e.expectedValue + Object.values(e.contributions).reduce((s, v) => s + v, 0);
          return (
            `row ${i + 1}: ${answer} (${result.model} v${result.version}; ${e.method}, ${e.space} of "${e.output}")\n` +
            `    ${e.expectedValue.toFixed(6)}  base value (expected over the training data)\n${lines.join('\n')}\n` +
            `  = ${total.toFixed(6)}` +
            (e.calibrated === true
              ? `  (calibrated ${e.space}: the served probability's)`
              : e.calibrated === false
                ? `  (the model's ${e.space} before its calibrator, which has no additive form)`
                : '')
          );
        })
        .join('\n'),
    );
    return 0;
  },
};
