import { useState } from 'react';
import { desktopBridge, desktopCall } from '../../app/ipc.js';
import { Outcome, useOutcome } from '../../components/outcome.js';

/*
 * What the CLI does on the box that the desktop app (the local admin) does from its pages: rotating the store key,
 * a backup to a chosen file, scoring a file, adding an MQTT stream. Each file is picked in a native dialog by the
 * main process; the window names no path. Over HTTP none of these render (the pages keep their host-only notes).
 */

/** `hearth keys rotate` for the key the desktop keeps in the OS keychain; the engine is stopped while it runs. */
export function RotateKey() {
  const { message, error, run, busy } = useOutcome();
  const [confirming, setConfirming] = useState(false);
  const bridge = desktopBridge();
  if (bridge === null) return null;
  return (
    <div className="toolbar" data-testid="store-key-rotate">
      {confirming ? (
        <>
          <span>Stop the engine, re-encrypt the database and every blob under a new key, and start it again?</span>{' '}
          <button
            data-testid="store-key-rotate-confirm"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                setConfirming(false);
                const r = await desktopCall<{ blobs: number; alreadyDone: number }>(bridge, { action: 'rotate-key' });
                return `Re-keyed the database and ${r.blobs} blobs${r.alreadyDone > 0 ? ` (${r.alreadyDone} were already under the new key)` : ''}; the new key is in the OS keychain.`;
              })
            }
          >
            Rotate
          </button>{' '}
          <button data-testid="store-key-rotate-cancel" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button data-testid="store-key-rotate-ask" disabled={busy} onClick={() => setConfirming(true)}>
          Rotate the store key…
        </button>
      )}
      <Outcome prefix="store-key-rotate" message={message} error={error} />
    </div>
  );
}

/** `hearth backup create --to FILE`: the file is chosen in a save dialog. */
export function BackupToFile() {
  const { message, error, run, busy } = useOutcome();
  const [passphrase, setPassphrase] = useState('');
  const bridge = desktopBridge();
  if (bridge === null) return null;
  return (
    <div className="toolbar" data-testid="backup-to">
      <label>
        Passphrase (optional, 8+ characters){' '}
        <input
          data-testid="backup-to-passphrase"
          type="password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </label>
      <button
        data-testid="backup-to-choose"
        disabled={busy || (passphrase !== '' && passphrase.length < 8)}
        onClick={() =>
          void run(async () => {
            const info = await desktopCall<{ file: string | null; files?: number }>(bridge, {
              action: 'backup-to',
              ...(passphrase === '' ? {} : { passphrase }),
            });
            return info.file === null ? 'No file chosen.' : `Backed up ${info.files ?? 0} files to ${info.file}.`;
          })
        }
      >
        Back up to a file…
      </button>
      <Outcome prefix="backup-to" message={message} error={error} />
    </div>
  );
}

/** `hearth predict --model NAME@V FILE --out FILE`: a CSV from an open dialog, the predictions to a save dialog's file. */
export function ScoreFile({ model, version }: { model: string; version: number }) {
  const { message, error, run, busy } = useOutcome();
  const bridge = desktopBridge();
  if (bridge === null) return null;
  return (
    <span data-testid="score-file">
      <button
        data-testid="score-file-choose"
        disabled={busy}
        title="Score every row of a CSV file on this computer and save the predictions as CSV"
        onClick={() =>
          void run(async () => {
            const r = await desktopCall<{ out: string | null; rows?: number; quarantined?: number }>(bridge, {
              action: 'predict-file',
              model: `${model}@${version}`,
            });
            return r.out === null
              ? 'No file chosen.'
              : `Wrote ${r.rows ?? 0} predictions to ${r.out}${r.quarantined ? ` (${r.quarantined} rows quarantined)` : ''}.`;
          })
        }
      >
        Score a file…
      </button>
      <Outcome prefix="score-file" message={message} error={error} />
    </span>
  );
}

/** Adds an MQTT stream to the config file (the config schema's fields); the engine restarts to run it. */
export function AddStream({ onAdded }: { onAdded: () => void }) {
  const [form, setForm] = useState({ mqtt: 'mqtt://localhost:1883', in: '', out: '', model: '', dataset: '' });
  const { message, error, run, busy } = useOutcome();
  const bridge = desktopBridge();
  if (bridge === null) return null;
  const field = (key: keyof typeof form, label: string) => (
    <label>
      {label}{' '}
      <input data-testid={`stream-add-${key}`} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </label>
  );
  return (
    <div className="toolbar" data-testid="stream-add">
      {field('mqtt', 'Broker')}
      {field('in', 'In topic')}
      {field('out', 'Out topic')}
      {field('model', 'Model')}
      {field('dataset', 'Append answered rows to (optional)')}
      <button
        data-testid="stream-add-submit"
        disabled={busy || form.in === '' || form.out === '' || form.model === ''}
        onClick={() =>
          void run(async () => {
            const { dataset, ...rest } = form;
            await desktopCall(bridge, { action: 'add-stream', stream: { ...rest, ...(dataset === '' ? {} : { dataset }) } });
            setTimeout(onAdded, 1500);
            return `Added ${form.in} → ${form.out} with ${form.model}; the engine restarted with it.`;
          })
        }
      >
        Add stream
      </button>
      <Outcome prefix="stream-add" message={message} error={error} />
    </div>
  );
}
