import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { serviceDoor } from '../../main/api/in-process.js';
import { Engine } from '../../main/engine/engine.js';
import { MqttStream } from '../../main/streams/mqtt-stream.js';
import { syntheticCsv, tempDir, until, withoutIds, writeFile } from '../helpers.js';
import { brokerSkip as skip, startBroker } from './broker-harness.js';

const ctx = { transport: 'in-process' } as const;

function row(i: number): Record<string, string | number | boolean> {
  return {
    x1: Math.sin(i) * 2,
    x2: 3 + Math.cos(i * 0.7) * 2,
    colour: ['red', 'green', 'blue', 'amber'][i % 4]!,
    flag: i % 3 === 0,
  };
}

describe('MQTT stream through a model, against a real mosquitto', { skip }, () => {
  const tmp = tempDir();
  let engine: Engine;
  let api: Handlers;
  let broker: { child: ChildProcess; url: string; port: number };
  let stream: MqttStream;
  let publisher: MqttClient;
  let listener: MqttClient;
  const answers = new Map<string, { model: string; version: number; prediction: Record<string, unknown> }>();
  const rejected: { id: string; reason: string; code?: string }[] = [];

  before(async () => {
    engine = Engine.open(`${tmp.dir}/data`);
    api = createHandlers(engine);
    await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 800)));
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 1 });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    broker = await startBroker(`${tmp.dir}/broker`);
    stream = new MqttStream(serviceDoor(engine, api), `${tmp.dir}/data/hearth.db`, {
      url: broker.url,
      inTopic: 'plant/line1/in',
      outTopic: 'plant/line1/out',
      model: 'churn',
      clientId: 'hearth-test-stream',
      windows: [{ field: 'x1', seconds: 60, kind: 'sliding' }],
    });
    await stream.start();
    listener = await connectAsync(broker.url, { clientId: 'test-listener', clean: false, reconnectPeriod: 200 });
    listener.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString()) as {
        id: string;
        reason: string;
        code?: string;
        model: string;
        version: number;
        prediction: Record<string, unknown>;
      };
      if (topic.endsWith('/rejected')) rejected.push(message);
      else answers.set(message.id, message);
    });
    await listener.subscribeAsync(['plant/line1/out', 'plant/line1/out/rejected'], { qos: 1 });
    publisher = await connectAsync(broker.url, { clientId: 'test-publisher', clean: false, reconnectPeriod: 200 });
  });
  after(async () => {
    await stream?.stop().catch(() => undefined);
    await publisher?.endAsync(true).catch(() => undefined);
    await listener?.endAsync(true).catch(() => undefined);
    broker?.child.kill();
    engine?.close();
    tmp.cleanup();
  });

  it('answers every message with the same prediction the API gives, and rejects bad ones with the reason', async () => {
    for (let i = 0; i < 500; i++)
      await publisher.publishAsync('plant/line1/in', JSON.stringify({ id: `m${i}`, row: row(i) }), { qos: 1 });
    await publisher.publishAsync('plant/line1/in', 'not json', { qos: 1 });
    await publisher.publishAsync('plant/line1/in', JSON.stringify({ id: 'bad', row: { x1: 'abc' } }), { qos: 1 });
    // A nested value is no row: dispatch's zod schema for models.predict refuses it, not the stream's own check.
    await publisher.publishAsync('plant/line1/in', JSON.stringify({ id: 'nested', row: { ...row(1), x1: { a: 1 } } }), {
      qos: 1,
    });
    await until(() => answers.size >= 500 && rejected.length >= 3, 'every answer');
    // Two rows through the API are scored by the model's TypeScript predictor, the stream's batches by its graph: the
    // same labels, and the same probabilities to float64 rounding (the graph sums in its own order).
    const direct = await api['models.predict']({ name: 'churn', rows: [row(7), row(123)] }, ctx);
    assert.equal(direct.executionProvider, 'typescript (in process)');
    const streamed = withoutIds([
      answers.get('m7')!.prediction,
      answers.get('m123')!.prediction,
    ] as never) as typeof direct.predictions;
    const answered = withoutIds(direct.predictions) as typeof direct.predictions;
    streamed.forEach((p, i) => {
      const q = answered[i]!;
      assert.ok('label' in p && 'label' in q);
      assert.equal(p.label, q.label);
      assert.deepEqual(Object.keys(p.probabilities), Object.keys(q.probabilities));
      for (const [c, v] of Object.entries(p.probabilities)) assert.ok(Math.abs(v - q.probabilities[c]!) < 1e-12, `${c}: ${v}`);
    });
    assert.equal(answers.get('m0')!.version, 1);
    // Every refusal is a coded error, published on <out>/rejected and counted; the stream keeps going.
    const byId = new Map(rejected.map((r) => [r.id, r]));
    assert.equal(rejected.length, 3);
    assert.equal(byId.get('bad')?.code, 'VALIDATION_FAILED');
    assert.match(byId.get('bad')!.reason, /x1.*must be a number/);
    assert.equal(byId.get('nested')?.code, 'VALIDATION_FAILED');
    assert.match(byId.get('nested')!.reason, /^invalid arguments for models\.predict: rows\.0: a row is an object/);
    const notJson = rejected.find((r) => r.id !== 'bad' && r.id !== 'nested')!;
    assert.deepEqual([notJson.reason, notJson.code], ['not JSON', 'VALIDATION_FAILED']);
    assert.equal(stream.stats.predicted, 500);
    assert.equal(stream.stats.rejected, 3);
  });

  it("refuses, through the stream's door, what the service role may not do, and audits the refusal", async () => {
    const door = serviceDoor(engine, api)('stream:churn:plant/line1/in');
    await assert.rejects(door.call('models.promote', { name: 'churn', version: 1 }), {
      code: 'FORBIDDEN',
      message: 'stream:churn:plant/line1/in (service) may not call models.promote',
    });
    const last = engine.access.auditLog({ limit: 1 })[0]!;
    assert.deepEqual(
      [last.actor, last.role, last.action, last.target, last.outcome, last.code],
      ['stream:churn:plant/line1/in', 'service', 'models.promote', 'churn', 'denied', 'FORBIDDEN'],
    );
    // Predictions are not audited (the prediction log records them): the 500 answered above left no entry, and the
    // serving metrics say whose they were instead.
    assert.equal(engine.access.auditLog({ limit: 1000 }).filter((e) => e.action === 'models.predict').length, 0);
    assert.match(
      await engine.servingMetrics.text(),
      /^hearth_predict_calls_total\{model="churn",caller="stream:churn:plant\/line1\/in",role="service"\} [1-9]\d*$/m,
    );
  });

  it('loses nothing at QoS 1 when the broker restarts mid-stream', async () => {
    answers.clear();
    const total = 3000;
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) {
        // While the broker is down, publishAsync waits in mqtt.js's outgoing store and is sent on reconnect.
        await publisher.publishAsync('plant/line1/in', JSON.stringify({ id: `r${sent}`, row: row(sent) }), { qos: 1 });
      }
    })();
    await until(() => answers.size > 500, 'the stream to be under way');
    broker.child.kill('SIGTERM');
    await new Promise((resolve) => broker.child.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 500));
    broker = await startBroker(`${tmp.dir}/broker`, broker.port);
    await sending;
    await until(
      () => answers.size >= total,
      `all ${total} answers (have ${answers.size}, sent ${sent}, stream received ${stream.stats.received}, predicted ${stream.stats.predicted}, backlog ${stream.backlog}, connected ${stream.stats.connected}, reconnects ${stream.stats.reconnects}, error ${stream.stats.lastError}, client ${String((stream as unknown as { client: { connected: boolean } }).client.connected)})`,
      20_000,
    );
    for (let i = 0; i < total; i++) assert.ok(answers.has(`r${i}`), `r${i} lost`);
    assert.ok(stream.stats.reconnects >= 1, 'the stream reconnected');
  });

  it('answers carry the prediction log id for late labels, and answered rows are appended to a dataset', async () => {
    const line2 = new MqttStream(serviceDoor(engine, api), `${tmp.dir}/data/hearth.db`, {
      url: broker.url,
      inTopic: 'plant/line2/in',
      outTopic: 'plant/line2/out',
      model: 'churn',
      dataset: 'line2',
      appendRows: 100,
      appendSeconds: 0.5,
    });
    await line2.start();
    const got = new Map<string, { predictionId: string }>();
    const watcher = await connectAsync(broker.url, { clientId: 'test-watch-line2' });
    watcher.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as { id: string; predictionId: string };
      got.set(m.id, m);
    });
    await watcher.subscribeAsync('plant/line2/out', { qos: 1 });
    try {
      for (let i = 0; i < 250; i++)
        await publisher.publishAsync('plant/line2/in', JSON.stringify({ id: `a${i}`, row: row(i) }), { qos: 1 });
      await until(() => got.size >= 250, 'line 2 answers');
      const first = got.get('a0')!;
      assert.match(first.predictionId, /^[0-9a-f-]{36}$/);
      const feedback = await api['models.feedback']({ name: 'churn', labels: [{ id: first.predictionId, label: 'good' }] }, ctx);
      assert.deepEqual(feedback, { matched: 1, unknown: [] });
      await until(() => line2.stats.appended >= 250, `rows appended (have ${line2.stats.appended}, ${line2.stats.lastError})`);
      // The appends went through dispatch as the stream's own service identity, so the audit log names it.
      const appends = engine.access.auditLog({ limit: 1000 }).filter((e) => e.action === 'datasets.append');
      assert.ok(appends.length >= 1, 'the appends are audited');
      for (const e of appends)
        assert.deepEqual(
          [e.actor, e.role, e.transport, e.target, e.outcome],
          ['stream:churn:plant/line2/in', 'service', 'in-process', 'line2', 'ok'],
        );
      const latest = engine.datasets.version('line2');
      assert.equal(latest.rows, 250);
      assert.deepEqual(
        latest.schema.map((c) => c.name),
        ['x1', 'x2', 'colour', 'flag'],
      );
      assert.equal(latest.source.fileName, `${broker.url}/plant/line2/in`);
      // Each row once, in order: the versions grow by what each append took.
      const { frame } = engine.datasets.loadFrame('line2');
      const x1 = frame.columns.find((c) => c.name === 'x1')!;
      assert.equal(x1.kind, 'numeric');
      if (x1.kind === 'numeric')
        assert.deepEqual(
          Array.from(x1.values),
          Array.from({ length: 250 }, (_, i) => row(i).x1),
        );
    } finally {
      await watcher.endAsync(true);
      await line2.stop();
    }
  });
});
