import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtoWriter } from '../../main/onnx/protobuf.js';
import { assertSelfContained } from '../../main/onnx/inspect.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { createClient, httpTransport } from '../../main/contracts/client.js';
import { HearthError } from '../../main/contracts/errors.js';
import { startHarness, type Harness } from './harness.js';

/**
 * A graph made elsewhere may name a file for a tensor's data (TensorProto.data_location = EXTERNAL). ONNX Runtime
 * would read that file, relative to the server's working folder, and predictions would hand its bytes back. Hearth
 * refuses such graphs wherever a tensor hides: initializer, sparse initializer, Constant attribute, If subgraph,
 * model-local function.
 */

type Place = 'initializer' | 'sparse' | 'constant' | 'subgraph' | 'function' | 'location-only';

function valueInfo(w: ProtoWriter, field: number, name: string): void {
  w.message(field, (v) =>
    v.string(1, name).message(2, (t) =>
      t.message(1, (tt) =>
        tt.int(1, 1).message(2, (shape) => {
          shape.message(1, (d) => d.string(2, 'N'));
          shape.message(1, (d) => d.int(1, 1));
        }),
      ),
    ),
  );
}

/** A float tensor named `name` whose data lives in `location`, outside the model file. */
function externalTensor(t: ProtoWriter, name: string, location: string, withLocation = true): void {
  t.packedInts(1, [1]).int(2, 1).string(8, name);
  if (withLocation) {
    t.message(13, (e) => e.string(1, 'location').string(2, location));
    t.message(13, (e) => e.string(1, 'length').string(2, '4'));
  }
  t.int(14, 1);
}

/** Y = X + W, with W's data in an external file, hidden in one of several places. */
export function hostileGraph(place: Place, location: string): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8)
    .string(2, 'attacker')
    .message(8, (o) => o.string(1, '').int(2, 17));
  if (place === 'function') w.message(8, (o) => o.string(1, 'local').int(2, 1));
  w.message(7, (g) => {
    g.string(2, 'g');
    if (place === 'constant' || place === 'subgraph' || place === 'function') {
      const constant = (n: ProtoWriter): void => {
        n.string(2, 'W')
          .string(4, 'Constant')
          .message(5, (a) =>
            a
              .string(1, 'value')
              .int(20, 4)
              .message(5, (t) => externalTensor(t, 'W', location)),
          );
      };
      if (place === 'constant') g.message(1, constant);
      else if (place === 'function') g.message(1, (n) => n.string(2, 'W').string(4, 'MakeW').string(7, 'local'));
      else
        g.message(1, (n) =>
          n
            .string(1, 'cond')
            .string(2, 'W')
            .string(4, 'If')
            .message(5, (a) =>
              a
                .string(1, 'then_branch')
                .int(20, 5)
                .message(6, (sub) => {
                  sub.string(2, 'then').message(1, constant);
                  valueInfo(sub, 12, 'W');
                }),
            ),
        );
    } else if (place === 'sparse') {
      g.message(15, (s) =>
        s
          .message(1, (t) => externalTensor(t, 'W', location))
          .message(2, (t) => t.packedInts(1, [1]).int(2, 7).packedInts(7, [0]))
          .packedInts(3, [1]),
      );
    } else {
      g.message(5, (t) => externalTensor(t, 'W', location, place !== 'location-only'));
    }
    g.message(1, (n) => n.string(1, 'X').string(1, 'W').string(2, 'Y').string(4, 'Add'));
    valueInfo(g, 11, 'X');
    valueInfo(g, 12, 'Y');
  });
  if (place === 'function')
    w.message(25, (f) =>
      f
        .string(1, 'MakeW')
        .string(10, 'local')
        .string(5, 'W')
        .message(9, (o) => o.string(1, '').int(2, 17))
        .message(7, (n) =>
          n
            .string(2, 'W')
            .string(4, 'Constant')
            .message(5, (a) =>
              a
                .string(1, 'value')
                .int(20, 4)
                .message(5, (t) => externalTensor(t, 'W', location)),
            ),
        ),
    );
  return w.finish();
}

const places: Place[] = ['initializer', 'sparse', 'constant', 'subgraph', 'function', 'location-only'];

describe('ONNX graphs that reach outside their own bytes', () => {
  let h: Harness;
  let secretPath: string;
  before(async () => {
    h = await startHarness('http');
    secretPath = join(h.dataDir, 'secret.bin');
    writeFileSync(secretPath, Buffer.from([0x68, 0x74, 0x68, 0x5f]));
  });
  after(async () => h.close());

  for (const place of places)
    for (const location of ['secret.bin', '../../../../etc/passwd', '/etc/passwd', 'keys/../store.key']) {
      it(`refuses external data in the ${place} (${location}) before anything loads it`, () => {
        assert.throws(
          () => assertSelfContained(hostileGraph(place, location)),
          (e: unknown) => e instanceof HearthError && e.code === 'INVALID_INPUT' && /external data/.test(e.message),
        );
      });
    }

  it('an analyst importing the graph over HTTP gets INVALID_INPUT and nothing is registered', async () => {
    const analyst = createClient(
      httpTransport({ baseUrl: h.server!.url, token: h.engine.access.createToken('analyst-1', 'analyst').token }),
    );
    for (const place of places) {
      const uploadId = await analyst.upload(new Blob([hostileGraph(place, secretPath)]), 'model.onnx');
      await assert.rejects(
        analyst.call('models.import', { name: `stolen-${place}`, uploadId, task: 'regression' }),
        (e: { code?: string; message?: string }) => e.code === 'INVALID_INPUT' && /external data/.test(e.message ?? ''),
      );
    }
    assert.deepEqual(await analyst.call('models.list', {}), []);
  });

  it('every session Hearth opens refuses it too (a stored, pulled or followed graph)', async () => {
    for (const place of places)
      await assert.rejects(
        createSession(hostileGraph(place, secretPath)),
        (e: unknown) => e instanceof HearthError && e.code === 'INVALID_INPUT',
      );
  });

  it('still loads a graph whose weights are inside it', async () => {
    const w = new ProtoWriter();
    w.int(1, 8).message(8, (o) => o.string(1, '').int(2, 17));
    w.message(7, (g) => {
      g.message(5, (t) => t.packedInts(1, [1]).int(2, 1).string(8, 'W').packedFloats(4, [2.5]));
      g.message(1, (n) => n.string(1, 'X').string(1, 'W').string(2, 'Y').string(4, 'Add'));
      valueInfo(g, 11, 'X');
      valueInfo(g, 12, 'Y');
    });
    const session = await createSession(w.finish());
    const out = await session.run({ X: { type: 'float32', data: new Float32Array([1, 2]), dims: [2, 1] } }, ['Y']);
    assert.deepEqual(Array.from(out.Y!.data as Float32Array), [3.5, 4.5]);
    await session.release();
  });
});
