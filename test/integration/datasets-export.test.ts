import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError, createClient, httpTransport, type Client } from '../../main/contracts/client.js';
import { startHarness, type Harness } from './harness.js';

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

// datasets.export over HTTP: what `hearth datasets export` (CSV) calls. A viewer reads it, with the dataset's PII
// policies as stored; a service token (predict and ingest only) and an unknown dataset are refused.
describe('datasets.export over HTTP', () => {
  let h: Harness;
  let viewer: Client;
  let service: Client;
  before(async () => {
    h = await startHarness('http');
    const csv = 'id,email,amount\n1,ann@example.com,3.5\n2,"bob@example.com",4\n3,,"1,5"\n';
    const uploadId = await h.client.upload(new Blob([csv]), 'people.csv');
    await h.client.call('datasets.ingest', {
      name: 'people',
      uploadId,
      fileName: 'people.csv',
      pii: { email: { policy: 'mask', type: 'email' } },
    });
    const token = async (role: 'viewer' | 'service') => (await h.client.call('tokens.create', { name: `${role}-x`, role })).token;
    viewer = createClient(httpTransport({ baseUrl: h.server!.url, token: await token('viewer') }));
    service = createClient(httpTransport({ baseUrl: h.server!.url, token: await token('service') }));
  });
  after(() => h?.close());

  it('returns a version as CSV text to a viewer, under the PII policies', async () => {
    const exported = await viewer.call('datasets.export', { name: 'people' });
    assert.equal(exported.dataset, 'people');
    assert.equal(exported.version, 1);
    assert.equal(exported.rows, 3);
    const lines = exported.csv.trimEnd().split('\n');
    assert.equal(lines[0], 'id,email,amount');
    assert.equal(lines.length, 4);
    assert.doesNotMatch(exported.csv, /ann@example\.com|bob@example\.com/);
    assert.deepEqual(await viewer.call('datasets.export', { name: 'people', version: 1 }), exported);
  });

  it('refuses a role without read, an unknown dataset and an unknown version', async () => {
    await expectCode(service.call('datasets.export', { name: 'people' }), 'FORBIDDEN');
    await expectCode(viewer.call('datasets.export', { name: 'nope' }), 'NOT_FOUND');
    await expectCode(viewer.call('datasets.export', { name: 'people', version: 9 }), 'NOT_FOUND');
  });
});
