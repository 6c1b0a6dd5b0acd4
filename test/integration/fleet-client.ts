/*
 * The fleet test's client (fleet.test.ts forks it): single-row predictions sent continuously through the balancer
 * from a process of its own, so what it measures is not slowed or sped up by the test's own event loop. It records
 * every answer and sends them all to the parent when told to stop. Not a test file: run-tests.js takes *.test.js.
 */

/** One answer: when it was sent and answered (ms since the epoch), its status, the version it named, and whether
 * it carried back the request id sent with it. Status 0: no answer at all (the connection failed). */
export type FleetRecord = [sentAt: number, doneAt: number, status: number, version: number | null, idEchoed: boolean];

const [url, token, model, loopsText] = process.argv.slice(2);
if (url === undefined || token === undefined || model === undefined)
  throw new Error('usage: fleet-client URL TOKEN MODEL [LOOPS]');
const loops = Number(loopsText ?? '3');

const rows = [
  { x1: 0.5, x2: 2.1, colour: 'red', flag: 'true' },
  { x1: -1.2, x2: 4.4, colour: 'blue', flag: 'false' },
  { x1: 2.0, x2: null, colour: 'amber', flag: 'true' },
];
const records: FleetRecord[] = [];
let stopping = false;
let n = 0;

async function one(): Promise<void> {
  const id = `fleet-${process.pid}-${n}`;
  const row = rows[n++ % rows.length];
  const sentAt = Date.now();
  try {
    const response = await fetch(`${url}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ rows: [row] }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { version?: unknown; predictions?: unknown[] };
    const version = typeof body.version === 'number' && Number.isInteger(body.version) ? body.version : null;
    records.push([sentAt, Date.now(), response.status, version, response.headers.get('x-request-id') === id]);
  } catch {
    records.push([sentAt, Date.now(), 0, null, false]);
  }
}

async function loop(): Promise<void> {
  while (!stopping) {
    await one();
    // A short pause: a steady stream (a few hundred a second) that leaves the two cores to the replicas' pulls.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const running = Promise.all(Array.from({ length: loops }, () => loop()));
process.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  stopping = true;
  void running.then(() => process.send!({ records }, () => process.disconnect()));
});
process.send!('started');
