import { readFileSync } from 'node:fs';
import { checkOutFile, writeOutFile } from '../out-file.js';
import { HearthError } from '../../contracts/errors.js';
import { parseRef } from '../../serving/batch.js';
import { type Command, UsageError } from '../command.js';
import { argFromFile } from '../flags.js';

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'data-quality rules: suggest, show, set, check, report',
  usage: `  rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V] [--json]
        | report NAME[@V] [--out FILE] [--force]
                                      data-quality rules: suggested from a good version, edited as JSON, enforced
                                      at ingest (reject refuses a version, quarantine sets rows aside) and when
                                      serving (a row breaking a reject or quarantine rule gets a 422); check
                                      exits 1 when a rule fails; report writes the version's quality as HTML`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [sub, ref, file] = rest;
    if (ref === undefined)
      throw new UsageError('rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V]');
    const { name, version } = parseRef(ref);
    const at = version === undefined ? {} : { version };
    if (sub === 'suggest') {
      const suggested = await client.call('rules.suggest', { name, ...at });
      if (flags.save === true) await client.call('rules.set', { name, rules: suggested });
      out.result(
        suggested,
        () => `${JSON.stringify(suggested, null, 2)}${flags.save === true ? `\nSaved as ${name}'s rules.` : ''}`,
      );
      return 0;
    }
    if (sub === 'show') {
      const rules = await client.call('rules.get', { name });
      out.result(rules, () => (rules.length === 0 ? `${name} has no rules.` : JSON.stringify(rules, null, 2)));
      return 0;
    }
    if (sub === 'set' && file !== undefined) {
      let rules: unknown;
      try {
        rules = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new HearthError('VALIDATION_FAILED', `${file} is not a JSON array of rules: ${(error as Error).message}`);
      }
      // Read through the method's own schema, so a wrong rule is named with its place in the file.
      const saved = await client.call('rules.set', { name, rules: argFromFile('rules.set', 'rules', rules, file) });
      out.result(saved, () => `Saved ${saved.length} rules for ${name}.`);
      return 0;
    }
    if (sub === 'check') {
      const check = await client.call('rules.check', { name, ...at });
      out.result(
        {
          passed: check.passed,
          failed: check.failed.map((f) => ({
            rule: f.rule,
            column: f.column,
            rows: f.rows,
            severity: f.severity,
            detail: f.detail,
          })),
        },
        () =>
          check.passed
            ? `${check.dataset} v${check.version}: all ${check.rules} rules hold.`
            : [
                `${check.dataset} v${check.version}: ${check.failed.length} of ${check.rules} rules fail:`,
                ...check.failed.map((f) => `  ${f.rule} [${f.severity}]: ${f.detail}`),
              ].join('\n'),
      );
      return check.passed ? 0 : 1;
    }
    if (sub === 'report') {
      const force = flags.force === true;
      if (flags.out !== undefined) checkOutFile(flags.out, force);
      const report = await client.call('rules.report', { name, ...at });
      const target = flags.out ?? report.fileName;
      writeOutFile(target, report.html, force);
      out.result({ out: target, bytes: Buffer.byteLength(report.html) }, () => `Wrote ${target}`);
      return 0;
    }
    throw new UsageError('rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V] | report NAME[@V]');
  },
};
