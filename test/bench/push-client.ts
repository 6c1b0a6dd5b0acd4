// The pusher of the HTTP push benchmark, in its own process as a real client would be (its heap and event loop
// apart from the server's): reads ROWS rows of the CSV, prepares the JSON batches, then POSTs them one after
// another and prints one JSON line with the timed seconds.
import { readCsv } from '../../main/data/csv.js';
import { cellValue } from '../../main/table/frame.js';

const [url, token, file, dataset, rowsText, batchText] = process.argv.slice(2);
if (batchText === undefined) throw new Error('usage: push-client URL TOKEN FILE DATASET ROWS BATCH');
const total = Number(rowsText);
const batch = Number(batchText);
const { frame } = await readCsv(file!);
const n = Math.min(total, frame.rowCount);
const bodies: string[] = [];
for (let start = 0; start < n; start += batch) {
  const rows = [];
  for (let r = start; r < Math.min(n, start + batch); r++)
    rows.push(Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)])));
  bodies.push(JSON.stringify({ rows }));
}
const times: number[] = [];
const started = performance.now();
for (const body of bodies) {
  const t = performance.now();
  const response = await fetch(`${url}/v1/datasets/${dataset}/rows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`push failed: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  times.push(performance.now() - t);
}
const seconds = (performance.now() - started) / 1000;
const sorted = [...times].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    seconds,
    rows: n,
    first_batch_ms: Number(times[0]!.toFixed(1)),
    p50_batch_ms: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(1)),
    p99_batch_ms: Number(sorted[Math.floor(sorted.length * 0.99)]!.toFixed(1)),
    last_batch_ms: Number(times.at(-1)!.toFixed(1)),
  })}\n`,
);
