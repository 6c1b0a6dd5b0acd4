import { useState } from 'react';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { VersionSelect } from './version-select.js';

/**
 * A model's aliases: set or move any alias to a version, roll one back, remove one. Production can be moved, never
 * removed (requests without a version use it); the server says so too, and refuses names that are not OCI tags.
 */
export function AliasesSection(props: {
  model: string;
  aliases: Record<string, number>;
  versions: number[];
  onChanged: () => Promise<void>;
}) {
  const client = useClient();
  const [alias, setAlias] = useState('staging');
  const [version, setVersion] = useState('');
  const { error, run } = useCall();
  const act = (action: () => Promise<unknown>) =>
    run(async () => {
      await action();
      await props.onChanged();
    });
  return (
    <div data-testid="aliases">
      <h4>Aliases</h4>
      <ul className="plain">
        {Object.entries(props.aliases).map(([name, v]) => (
          <li key={name} data-testid={`alias-${name}`}>
            <code>{name}</code> → v{v}{' '}
            <button
              data-testid={`alias-rollback-${name}`}
              onClick={() => void act(() => client.call('models.rollback', { name: props.model, alias: name }))}
            >
              Roll back
            </button>{' '}
            {name !== 'production' && (
              <button
                data-testid={`alias-remove-${name}`}
                onClick={() => void act(() => client.call('models.remove-alias', { name: props.model, alias: name }))}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <label>
        Alias <input data-testid="alias-name" value={alias} onChange={(e) => setAlias(e.target.value)} size={14} />
      </label>{' '}
      <label>
        to <VersionSelect testId="alias-version" versions={props.versions} value={version} onChange={setVersion} />
      </label>{' '}
      <button
        data-testid="alias-set"
        disabled={version === '' || alias.trim() === ''}
        onClick={() =>
          void act(() => client.call('models.promote', { name: props.model, version: Number(version), alias: alias.trim() }))
        }
      >
        Set alias
      </button>
      {error !== null && (
        <p className="error" role="alert" data-testid="alias-error">
          {error}
        </p>
      )}
    </div>
  );
}
