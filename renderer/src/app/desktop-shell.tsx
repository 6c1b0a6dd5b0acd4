import { useEffect, useState } from 'react';
import type { SerializedError } from '../../../main/contracts/errors.js';
import { base64Bytes, saveFile } from '../components/download.js';
import { describeError } from '../components/errors.js';
import { linkedModel } from '../pages/models/models-page.js';
import { useClient } from './client-context.js';
import { desktopCall, type HearthBridge } from './ipc.js';

/** One file's outcome from the ingest-files action (main/desktop/desktop-actions.ts FileOutcome). */
type FileOutcome = { file: string } & (
  | { ok: true; result: { dataset: string; version: number; rows: number; appended?: number } }
  | { ok: false; error: SerializedError }
);

/** A dataset name from a file's name, as the main process makes one (desktop-actions.ts datasetNameFor). */
function datasetNameFor(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? '';
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const name = stem
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return name === '' ? 'dataset' : name;
}

/** The menu's commands, as main.ts sends them; anything else is ignored. */
function menuCommand(value: unknown): { command: 'ingest-files'; paths: string[] } | { command: 'export-onnx' } | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { command?: unknown; paths?: unknown };
  if (v.command === 'export-onnx') return { command: 'export-onnx' };
  if (v.command === 'ingest-files' && Array.isArray(v.paths) && v.paths.every((p) => typeof p === 'string'))
    return { command: 'ingest-files', paths: v.paths };
  return null;
}

/**
 * The desktop app's native parts in the console: CSV or Parquet files dropped anywhere on the window (or chosen with
 * File › Open Dataset…) are ingested by path as the local user, after the main process checks each; File › Export
 * ONNX… saves the open model's production version (else its newest). Dropping on the Datasets page's own drop zone
 * uploads there instead.
 */
export function DesktopShell({ bridge, onIngested }: { bridge: HearthBridge; onIngested: (dataset: string) => void }) {
  const client = useClient();
  const [paths, setPaths] = useState<string[] | null>(null);
  const [dataset, setDataset] = useState('');
  const [append, setAppend] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const offer = (files: string[]) => {
    if (files.length === 0) return;
    setPaths(files);
    setDataset(datasetNameFor(files[0]!));
    setAppend(false);
    setMessage(null);
    setError(null);
  };

  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files') === true) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      // A drop the page handled itself (the Datasets page's drop zone uploads the file) is left to it.
      const handledByPage = e.defaultPrevented;
      // Electron would otherwise open the file in the window (navigation, which main.ts refuses anyway).
      e.preventDefault();
      if (handledByPage) return;
      offer([...(e.dataTransfer?.files ?? [])].map((f) => bridge.pathForFile(f)).filter((p) => p !== ''));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    const stopMenu = bridge.onMenu((value) => {
      const command = menuCommand(value);
      if (command?.command === 'ingest-files') offer(command.paths);
      else if (command?.command === 'export-onnx') void exportOnnx();
    });
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
      stopMenu();
    };
    // exportOnnx reads the address when it runs, and the client and setters it uses do not change.
  }, [bridge]);

  const exportOnnx = async (): Promise<void> => {
    setMessage(null);
    setError(null);
    const model = linkedModel(window.location.hash).model;
    if (model === undefined) {
      setError('Open a model on the Models page, then export it.');
      return;
    }
    try {
      const versions = await client.call('models.versions', { name: model });
      const pick = versions.find((v) => v.aliases.includes('production')) ?? versions[0];
      if (pick === undefined) throw new Error(`${model} has no versions`);
      const file = await client.call('models.export', { name: model, version: pick.version });
      saveFile(file.fileName, base64Bytes(file.base64), file.mediaType);
      setMessage(`Saved ${file.fileName}.`);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const ingest = async (files: string[]): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const outcomes = await desktopCall<FileOutcome[]>(bridge, {
        action: 'ingest-files',
        dataset,
        paths: files,
        ...(append ? { append: true } : {}),
      });
      const done = outcomes.filter((o) => o.ok);
      const failed = outcomes.filter((o) => !o.ok);
      const last = done.at(-1);
      setMessage(
        (last === undefined ? 'Nothing ingested.' : `Ingested ${done.length} file(s) into ${dataset} v${last.result.version}.`) +
          failed.map((f) => ` ${f.file}: ${f.error.message}.`).join(''),
      );
      setPaths(null);
      if (last !== undefined) onIngested(dataset);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {paths !== null && (
        <div className="card" role="dialog" aria-modal="true" aria-labelledby="drop-title" data-testid="drop-panel">
          <h3 id="drop-title">Ingest {paths.length === 1 ? 'this file' : `${paths.length} files`}</h3>
          <ul>
            {paths.map((p) => (
              <li key={p}>
                <code>{p}</code>
              </li>
            ))}
          </ul>
          <label>
            Dataset name <input data-testid="drop-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} />
          </label>{' '}
          <label title="Otherwise the first file makes a new version; any others are appended to it">
            <input type="checkbox" data-testid="drop-append" checked={append} onChange={(e) => setAppend(e.target.checked)} />{' '}
            append to the latest version
          </label>
          <div className="toolbar">
            <button data-testid="drop-ingest" disabled={busy || dataset === ''} onClick={() => void ingest(paths)}>
              Ingest
            </button>
            <button data-testid="drop-cancel" onClick={() => setPaths(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {message !== null && (
        <p className="ok" data-testid="drop-message">
          {message}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert" data-testid="drop-error">
          {error}
        </p>
      )}
    </>
  );
}
