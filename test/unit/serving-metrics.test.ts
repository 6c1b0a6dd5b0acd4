import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServingMetrics } from '../../main/serving/serving-metrics.js';

const line = (text: string, series: string): number => {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  assert.ok(m !== null, `no line ${series}`);
  return Number(m[1]);
};

describe('serving metrics (Prometheus text)', () => {
  it('counts requests, rows, callers and errors per label set, and buckets latency cumulatively (a bound holds its own value)', async () => {
    const m = new ServingMetrics();
    m.served('churn', 1, 500, 0.0002); // exactly on the first bound: counted in it
    m.served('churn', 1, 500, 0.003);
    m.served('churn', 1, 1, 2); // past the last bound: only in +Inf
    m.served('churn', 2, 7, 0.0001);
    m.calledBy('churn', 'bob', 'viewer');
    m.calledBy('churn', 'bob', 'viewer');
    m.calledBy('churn', 'line "1"', 'service');
    m.failed('nope', 'NOT_FOUND');
    const text = await m.text();
    assert.equal(line(text, 'hearth_predict_requests_total{model="churn",version="1",outcome="ok"}'), 3);
    assert.equal(line(text, 'hearth_predict_requests_total{model="churn",version="2",outcome="ok"}'), 1);
    assert.equal(line(text, 'hearth_predict_requests_total{model="nope",version="none",outcome="error"}'), 1);
    assert.equal(line(text, 'hearth_predicted_rows_total{model="churn",version="1"}'), 1001);
    assert.equal(line(text, 'hearth_predicted_rows_total{model="churn",version="2"}'), 7);
    assert.equal(line(text, 'hearth_predict_errors_total{model="nope",code="NOT_FOUND"}'), 1);
    assert.equal(line(text, 'hearth_predict_calls_total{model="churn",caller="bob",role="viewer"}'), 2);
    // Label values are escaped as the exposition format requires.
    assert.equal(line(text, 'hearth_predict_calls_total{model="churn",caller="line \\"1\\"",role="service"}'), 1);
    const bucket = (le: string): number =>
      line(text, `hearth_predict_duration_seconds_bucket{le="${le}",model="churn",version="1"}`);
    assert.deepEqual(
      ['0.0002', '0.0005', '0.001', '0.002', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '1', '+Inf'].map(bucket),
      [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3],
    );
    assert.equal(line(text, 'hearth_predict_duration_seconds_count{model="churn",version="1"}'), 3);
    assert.ok(Math.abs(line(text, 'hearth_predict_duration_seconds_sum{model="churn",version="1"}') - 2.0032) < 1e-12);
    assert.match(text, /^# TYPE hearth_predict_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE hearth_predict_requests_total counter$/m);
    // The process's own metrics are still there.
    assert.match(text, /^hearth_process_resident_memory_bytes \d+/m);
  });

  it('names nobody serves share one "(other)" series past a hundred; served models keep their own', async () => {
    const m = new ServingMetrics();
    m.served('real', 1, 1, 0.001);
    for (let i = 0; i < 5000; i++) {
      m.calledBy(`guess${i}`, 'mallory', 'service');
      m.failed(`guess${i}`, 'NOT_FOUND');
    }
    m.calledBy('real', 'bob', 'service');
    // A model served for the first time after the flood still gets its own series once it has answered.
    m.calledBy('late', 'bob', 'service');
    m.served('late', 1, 1, 0.001);
    m.calledBy('late', 'bob', 'service');
    const text = await m.text();
    const series = (name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    assert.equal(series('hearth_predict_errors_total').length, 101);
    assert.equal(series('hearth_predict_calls_total').filter((l) => l.includes('caller="mallory"')).length, 101);
    assert.equal(line(text, 'hearth_predict_errors_total{model="(other)",code="NOT_FOUND"}'), 4900);
    assert.equal(line(text, 'hearth_predict_calls_total{model="real",caller="bob",role="service"}'), 1);
    assert.equal(line(text, 'hearth_predict_calls_total{model="(other)",caller="bob",role="service"}'), 1);
    assert.equal(line(text, 'hearth_predict_calls_total{model="late",caller="bob",role="service"}'), 1);
    assert.equal(line(text, 'hearth_predict_requests_total{model="late",version="1",outcome="ok"}'), 1);
  });
});
