import { parentPort } from 'node:worker_threads';
import { parseRange, type RangeMessage } from '../main/table/csv-parse.js';

/**
 * A CSV range reader of the engine's pool (main/data/csv.ts readRanges): reads the records of one byte range of a
 * file from a fresh start and sends back its columns' builders, quarantine and line numbers (relative to the
 * range's first line), the typed arrays transferred rather than copied.
 */
parentPort!.on(
  'message',
  ({
    id,
    path,
    setup,
    range,
  }: {
    id: number;
    path: string;
    setup: Parameters<typeof parseRange>[1];
    range: Parameters<typeof parseRange>[2];
  }) => {
    parseRange(path, setup, range).then(
      (read) => {
        const builders = read.builders.map((b) => b.snapshot());
        const rowLines = Int32Array.from(read.rowLines);
        const message: RangeMessage = {
          id,
          builders,
          quarantined: read.quarantined,
          rowLines,
          line: read.line,
          stoppedAt: read.stoppedAt,
          skipping: read.skipping,
        };
        parentPort!.postMessage(message, [
          rowLines.buffer,
          ...builders.flatMap((b) => [b.values.buffer as ArrayBuffer, b.codes.buffer as ArrayBuffer]),
        ]);
      },
      (error: unknown) =>
        parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies RangeMessage),
    );
  },
);
