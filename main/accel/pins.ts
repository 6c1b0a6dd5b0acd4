import { backendsOf, type AccelRuntime } from '../contracts/api.js';
import type { Db } from '../store/database.js';

/** The back end a user pinned per runtime, kept in the store's settings so every host and run sees the same. */
const settingKey = (runtime: AccelRuntime): string => `accel.pin.${runtime}`;

export function readPins(db: Db): Record<AccelRuntime, string | null> {
  const read = (runtime: AccelRuntime): string | null => {
    const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(settingKey(runtime)) as { value: string } | undefined;
    // A name from a newer or older Hearth that this one does not know is ignored rather than trusted.
    return row !== undefined && (backendsOf[runtime] as readonly string[]).includes(row.value) ? row.value : null;
  };
  return { tfjs: read('tfjs'), onnxruntime: read('onnxruntime'), gbdt: read('gbdt') };
}

export function writePin(db: Db, runtime: AccelRuntime, name: string | null): void {
  if (name === null) db.prepare('DELETE FROM settings WHERE key = ?').run(settingKey(runtime));
  else
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
      settingKey(runtime),
      name,
    );
}
