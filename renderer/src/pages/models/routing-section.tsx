import { useEffect, useState } from 'react';
import type { ServingRoute } from '../../../../main/contracts/api.js';
import { useClient } from '../../app/client-context.js';
import { useCall } from '../../components/use-call.js';
import { VersionSelect } from './version-select.js';

/** Canary and shadow routes of a model: who answers requests that name no version, who predicts alongside. */
export function RoutingSection({ model, versions }: { model: string; versions: number[] }) {
  const client = useClient();
  const [route, setRoute] = useState<ServingRoute | null>(null);
  const [canary, setCanary] = useState('');
  const [share, setShare] = useState('10');
  const [shadow, setShadow] = useState('');
  const { error, run, fail } = useCall();
  useEffect(() => {
    client.call('models.route', { name: model }).then(setRoute, fail);
  }, [client, model, fail]);
  const apply = (change: Omit<Parameters<typeof client.call<'models.set-route'>>[1], 'name'>) =>
    run(async () => setRoute(await client.call('models.set-route', { name: model, ...change })));
  return (
    <div data-testid="routing">
      <h4>Routing</h4>
      <p data-testid="routing-state">
        {route === null || route.canary === null
          ? 'No canary'
          : `Canary v${route.canary.version} answers ${Math.round(route.canary.share * 100)}% of requests`}
        ;{' '}
        {route === null || route.shadow === null
          ? 'no shadow.'
          : `shadow v${route.shadow} predicts every request (logged, not returned).`}
      </p>
      <label>
        Canary <VersionSelect testId="canary-version" versions={versions} value={canary} onChange={setCanary} />
      </label>{' '}
      <label>
        share % <input data-testid="canary-share" value={share} onChange={(e) => setShare(e.target.value)} size={4} />
      </label>{' '}
      <button
        data-testid="canary-set"
        onClick={() => void apply({ canary: { version: Number(canary), share: Number(share) / 100 } })}
      >
        Start canary
      </button>{' '}
      <button onClick={() => void apply({ canary: null })}>End canary</button>{' '}
      <label>
        Shadow <VersionSelect testId="shadow-version" versions={versions} value={shadow} onChange={setShadow} />
      </label>{' '}
      <button data-testid="shadow-set" onClick={() => void apply({ shadow: Number(shadow) })}>
        Start shadow
      </button>{' '}
      <button onClick={() => void apply({ shadow: null })}>End shadow</button>
      {error !== null && <p className="error">{error}</p>}
    </div>
  );
}
