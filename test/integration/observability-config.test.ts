import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

/*
 * The Prometheus configuration (resources/prometheus) and the Grafana dashboard (resources/grafana) chart what a
 * running Hearth exposes: every metric and label their expressions use is read from a real server's /metrics after
 * real predictions, so renaming a metric or a label in serving/serving-metrics.ts breaks this test.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const prometheusDir = join(root, 'resources', 'prometheus');

/** Series names and the label names seen on each, from the Prometheus text exposition format. */
function exposition(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? [^ ]+$/.exec(line);
    if (m === null) continue;
    const labels = series.get(m[1]!) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) labels.add(l[1]!);
    series.set(m[1]!, labels);
  }
  return series;
}

/** PromQL words that are not series names. */
const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
]);
keywords.add('inf').add('nan');

interface PromqlUse {
  /** Series selected, each with the labels its matchers name. */
  readonly series: Map<string, Set<string>>;
  /** Labels named in by / without / on / ignoring clauses. */
  readonly grouping: Set<string>;
}

/** The series and labels one PromQL expression uses (Grafana's $variables and $__rate_interval are left aside). */
function promqlUses(expr: string): PromqlUse {
  const series = new Map<string, Set<string>>();
  const grouping = new Set<string>();
  // String literals first, so that nothing inside them reads as a name.
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, list: string) => {
    for (const l of list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''))
      grouping.add(l);
    return ' ';
  });
  // A name followed by its matchers; then bare names. Ranges and offsets ([5m], [$__rate_interval]) go first.
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_m, name: string | undefined, matchers: string) => {
    const labels = new Set([...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!));
    if (name !== undefined && !keywords.has(name)) series.set(name, labels);
    return ' ';
  });
  for (const m of rest.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    if (keywords.has(m[1]!.toLowerCase())) continue;
    if (!series.has(m[1]!)) series.set(m[1]!, new Set());
  }
  return { series, grouping };
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard: panel targets (rows included) and the template variables' queries. */
function dashboardExpressions(dashboard: {
  panels: Panel[];
  templating: { list: { type: string; query?: unknown; name: string }[] };
}): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr !== undefined) out.push({ where: `panel "${p.title ?? ''}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : String((v.query as { query: string }).query);
    // label_values(selector, label): the selector is PromQL; the label must be on it.
    const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query);
    assert.ok(m, `variable ${v.name}: ${query}`);
    out.push({ where: `variable ${v.name}`, expr: `sum by (${m[2]!}) (${m[1]!})` });
  }
  return out;
}

describe('Prometheus and Grafana configuration against a running Hearth', () => {
  let h: Harness;
  let exposed = new Map<string, Set<string>>();
  const prometheus = parse(readFileSync(join(prometheusDir, 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      authorization?: { type: string; credentials_file?: string; credentials?: string };
      kubernetes_sd_configs?: { role: string }[];
      relabel_configs?: { source_labels?: string[]; target_label?: string; action?: string; regex?: string }[];
      static_configs?: { targets: string[]; labels?: Record<string, string> }[];
    }[];
  };
  const rules = prometheus.rule_files.map(
    (f) =>
      parse(readFileSync(join(prometheusDir, f), 'utf8')) as {
        groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
      },
  );
  const dashboard = JSON.parse(readFileSync(join(root, 'resources', 'grafana', 'hearth-dashboard.json'), 'utf8')) as Parameters<
    typeof dashboardExpressions
  >[0] & { schemaVersion: number; uid: string; title: string };
  /** Labels the scrape adds (relabelling and static labels) besides Prometheus's own job and instance. */
  const targetLabels = new Set(['job', 'instance']);
  for (const job of prometheus.scrape_configs) {
    for (const r of job.relabel_configs ?? []) if (r.target_label !== undefined) targetLabels.add(r.target_label);
    for (const s of job.static_configs ?? []) for (const l of Object.keys(s.labels ?? {})) targetLabels.add(l);
  }
  /** Series Prometheus makes itself for every target. */
  const synthetic = new Map([['up', new Set<string>()]]);
  const recorded = new Set(
    rules.flatMap((r) => r.groups.flatMap((g) => g.rules.map((x) => x.record).filter((x) => x !== undefined))),
  );

  before(async () => {
    h = await startHarness('http');
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'churn.csv', syntheticCsv('binary', 300, 3)));
    const job = h.engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn', seed: 1 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    const post = (model: string, rows: unknown[]): Promise<Response> =>
      fetch(`${h.server!.url}/v1/models/${model}/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows }),
      });
    // One prediction answered and one refused, so that every serving series has a sample.
    assert.equal((await post('churn', [{ x1: 0.5, x2: 3, colour: 'red', flag: 'true' }])).status, 200);
    assert.equal((await post('nope', [{ x1: 1 }])).status, 404);
    const response = await fetch(`${h.server!.url}/metrics`, { headers: { authorization: `Bearer ${testToken}` } });
    assert.equal(response.status, 200);
    exposed = exposition(await response.text());
  });
  after(() => h?.close());

  /** Problems with one expression: a series Hearth does not expose, a label no series in it carries. */
  function problems(where: string, expr: string): string[] {
    const out: string[] = [];
    const { series, grouping } = promqlUses(expr);
    assert.ok(series.size > 0, `${where}: no series found in ${expr}`);
    const carried = new Set<string>(targetLabels);
    for (const [name, labels] of series) {
      const known = exposed.get(name) ?? synthetic.get(name) ?? (recorded.has(name) ? new Set<string>() : undefined);
      if (known === undefined) {
        out.push(`${where}: ${name} is not a series Hearth exposes`);
        continue;
      }
      for (const l of known) carried.add(l);
      for (const l of labels)
        if (!known.has(l) && !targetLabels.has(l) && !recorded.has(name)) out.push(`${where}: ${name} has no label ${l}`);
    }
    for (const l of grouping) if (!carried.has(l)) out.push(`${where}: no series in it has the label ${l}`);
    return out;
  }

  it('reads series, matchers and groupings out of PromQL (and so would notice a renamed metric)', () => {
    const use = promqlUses(
      'histogram_quantile(0.99, sum by (model, le) (rate(hearth_predict_duration_seconds_bucket{model=~"$model", outcome!="x"}[$__rate_interval]))) / on (model) group_left up',
    );
    assert.deepEqual([...use.series.keys()].sort(), ['hearth_predict_duration_seconds_bucket', 'up']);
    assert.deepEqual([...use.series.get('hearth_predict_duration_seconds_bucket')!].sort(), ['model', 'outcome']);
    assert.deepEqual([...use.grouping].sort(), ['le', 'model']);
    // A renamed series and a label Hearth does not have are both reported.
    assert.deepEqual(problems('example', 'sum(rate(hearth_predict_request_total[5m]))'), [
      'example: hearth_predict_request_total is not a series Hearth exposes',
    ]);
    assert.deepEqual(problems('example', 'sum by (pod) (rate(hearth_predict_requests_total{versoin="1"}[5m]))'), [
      'example: hearth_predict_requests_total has no label versoin',
      'example: no series in it has the label pod',
    ]);
  });

  it('Hearth exposes the series per model and version that the fleet is charted by', () => {
    for (const name of ['hearth_predict_requests_total', 'hearth_predicted_rows_total', 'hearth_predict_duration_seconds_bucket'])
      assert.ok(
        ['model', 'version'].every((l) => exposed.get(name)?.has(l)),
        name,
      );
    assert.ok(exposed.get('hearth_predict_errors_total')?.has('code'));
    // The scrape's labels must not shadow Hearth's own (Prometheus would rename Hearth's to exported_*).
    const hearthLabels = new Set([...exposed.values()].flatMap((s) => [...s]));
    for (const l of targetLabels) if (l !== 'job' && l !== 'instance') assert.ok(!hearthLabels.has(l), `${l} collides`);
  });

  it('every dashboard panel and variable uses only series and labels Hearth exposes', () => {
    const expressions = dashboardExpressions(dashboard);
    assert.ok(expressions.length >= 15);
    assert.deepEqual(
      expressions.flatMap((e) => problems(e.where, e.expr)),
      [],
    );
    // What the dashboard is for: per replica and per model version.
    const all = expressions.map((e) => e.expr).join('\n');
    for (const clause of [/by \(replica\)/, /by \(model, version\)/, /by \(replica, le\)/, /by \(model, version, le\)/])
      assert.match(all, clause);
    for (const name of [
      'hearth_process_cpu_seconds_total',
      'hearth_process_resident_memory_bytes',
      'hearth_predict_errors_total',
    ])
      assert.ok(all.includes(name), name);
  });

  it('is a Grafana dashboard: schema version, unique panel ids and a Prometheus datasource variable', () => {
    assert.ok(dashboard.schemaVersion >= 36, 'a current schema');
    assert.equal(dashboard.uid, 'hearth-fleet');
    const ids: number[] = [];
    const walk = (panels: (Panel & { id?: number; gridPos?: unknown })[]): void => {
      for (const p of panels) {
        assert.ok(typeof p.id === 'number' && p.gridPos !== undefined, p.title);
        ids.push(p.id);
        walk(p.panels ?? []);
      }
    };
    walk(dashboard.panels);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(dashboard.templating.list.some((v) => v.type === 'datasource' && v.query === 'prometheus'));
  });

  it('the scrape config finds the replicas, labels each by pod, and authenticates with a token file', async () => {
    const k8s = prometheus.scrape_configs.find((j) => j.kubernetes_sd_configs !== undefined);
    assert.ok(k8s);
    assert.equal(k8s.metrics_path, '/metrics');
    const relabel = k8s.relabel_configs ?? [];
    assert.ok(relabel.some((r) => r.source_labels?.[0] === '__meta_kubernetes_pod_name' && r.target_label === 'replica'));
    // It keeps the Services of deploy/kubernetes by their app.kubernetes.io/name label and port name.
    const keep = relabel.filter((r) => r.action === 'keep');
    assert.deepEqual(
      keep.map((r) => [r.source_labels?.[0], r.regex]),
      [
        ['__meta_kubernetes_service_label_app_kubernetes_io_name', 'hearth'],
        ['__meta_kubernetes_endpoint_port_name', 'http'],
      ],
    );
    const services = readFileSync(join(root, 'deploy', 'kubernetes', 'replicas-service.yaml'), 'utf8');
    assert.match(services, /app\.kubernetes\.io\/name: hearth/);
    assert.match(services, /- name: http\n/);
    // /metrics refuses a scrape without the token, so every job sends one, from a file and never inline.
    assert.equal((await fetch(`${h.server!.url}/metrics`)).status, 401);
    for (const job of prometheus.scrape_configs) {
      assert.equal(job.authorization?.type, 'Bearer', job.job_name);
      assert.ok(job.authorization.credentials_file !== undefined && job.authorization.credentials === undefined, job.job_name);
    }
    const local = prometheus.scrape_configs.find((j) => j.static_configs !== undefined);
    assert.deepEqual(local?.static_configs?.[0]?.targets, ['127.0.0.1:7420']);
  });

  it('every alerting and recording rule uses only series and labels Hearth exposes', () => {
    const all = rules.flatMap((r) => r.groups.flatMap((g) => g.rules));
    assert.ok(all.length >= 4);
    assert.deepEqual(
      all.flatMap((r) => problems(`rule ${r.alert ?? r.record ?? '?'}`, r.expr)),
      [],
    );
  });
});
