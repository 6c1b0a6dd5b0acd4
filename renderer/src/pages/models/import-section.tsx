import { useState } from 'react';
import { useClient } from '../../app/client-context.js';
import { ActionButton } from '../../components/action-button.js';
import { useCall } from '../../components/use-call.js';

/** Import an ONNX file made elsewhere: its inputs are read from the graph; a training CSV becomes its drift reference. */
export function ImportSection({ onImported }: { onImported: (name: string) => Promise<void> }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [features, setFeatures] = useState('');
  const [classes, setClasses] = useState('');
  const [graph, setGraph] = useState<File | null>(null);
  const [reference, setReference] = useState<File | null>(null);
  const { busy, error, run } = useCall();
  const [done, setDone] = useState<string | null>(null);
  const list = (text: string): string[] | undefined => {
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items.length === 0 ? undefined : items;
  };
  const submit = async (): Promise<void> => {
    if (graph === null) return;
    await run(async () => {
      setDone(null);
      const uploadId = await client.upload(graph, graph.name);
      const referenceUploadId = reference === null ? undefined : await client.upload(reference, reference.name);
      const featureList = list(features);
      const classList = list(classes);
      const info = await client.call('models.import', {
        name,
        uploadId,
        ...(target === '' ? {} : { target }),
        ...(featureList === undefined ? {} : { features: featureList }),
        ...(classList === undefined ? {} : { classes: classList }),
        ...(referenceUploadId === undefined ? {} : { referenceUploadId }),
      });
      setDone(`Imported ${info.model} v${info.version} (${info.task}): ${info.inputSchema.map((i) => i.name).join(', ')}`);
      await onImported(info.model);
    });
  };
  return (
    <details data-testid="import-onnx">
      <summary>Import an ONNX model made elsewhere</summary>
      <div className="form-grid">
        <label>
          Name <input data-testid="import-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Predicts (target) <input data-testid="import-target" value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        <label>
          Feature names (comma-separated, for one wide input){' '}
          <input data-testid="import-features" value={features} onChange={(e) => setFeatures(e.target.value)} />
        </label>
        <label>
          Class names (if the graph does not say){' '}
          <input data-testid="import-classes" value={classes} onChange={(e) => setClasses(e.target.value)} />
        </label>
        <label>
          ONNX file{' '}
          <input type="file" accept=".onnx" data-testid="import-file" onChange={(e) => setGraph(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Training data (CSV, the drift reference){' '}
          <input
            type="file"
            accept=".csv,text/csv"
            data-testid="import-reference"
            onChange={(e) => setReference(e.target.files?.[0] ?? null)}
          />
        </label>
      </div>
      <ActionButton
        data-testid="import-submit"
        disabled={graph === null || name === ''}
        busy={busy}
        busyLabel="Importing…"
        action={submit}
      >
        Import
      </ActionButton>
      {done !== null && <p data-testid="import-done">{done}</p>}
      {error !== null && (
        <p className="error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
    </details>
  );
}
