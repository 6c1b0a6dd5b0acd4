import { randomFillSync } from 'node:crypto';

/*
 * Time-ordered UUIDs (RFC 9562 version 7) for logged predictions. The log's id is its primary key: a random (v4) id
 * lands each insert at a random page of an index that holds every logged row (millions on an appliance), while a v7
 * id, its first 48 bits the time in milliseconds, appends at the index's right edge. Measured on a 1.38M-row log:
 * 131 → 110 µs of CPU per single-row prediction, most of it on the log's writer thread.
 *
 * Layout: 48 bits of Unix milliseconds, the version (7), 12 bits of counter (RFC 9562 §6.2 method 1: seeded at random
 * each millisecond, counted up within it, so ids made here sort in the order they were made), the variant (10), 62
 * random bits. The random bits keep an id unguessable (feedback names rows by id), as v4's 122 did.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
let lastMs = -1;
let counter = 0;
const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomByte(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

export function uuidV7(now = Date.now()): string {
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    // Within one millisecond (or a clock that stepped back): the next count; past the counter's range, the next
    // millisecond, borrowed from the future so that order holds.
    counter++;
    if (counter > 0xfff) {
      ms = lastMs + 1;
      counter = randomByte() & 0x7f;
    }
  } else counter = randomByte() & 0x7f; // a random start, low enough to leave room to count
  lastMs = ms;
  const time = ms.toString(16).padStart(12, '0');
  let tail = '';
  for (let i = 0; i < 6; i++) tail += hex[randomByte()]!;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${hex[counter >> 8]!.slice(1)}${hex[counter & 0xff]!}-` +
    `${hex[(randomByte() & 0x3f) | 0x80]!}${hex[randomByte()]!}-${tail}`
  );
}
