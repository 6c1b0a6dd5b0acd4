import { Readable } from 'node:stream';
import type { ApiEvent } from '../contracts/api.js';
import { createClient, type Client, type ServiceDoor } from '../contracts/client.js';
import type { Transport } from '../contracts/transport.js';
import type { Engine } from '../engine/engine.js';
import { dispatch } from './dispatch.js';
import type { Principal } from '../security/access.js';
import type { Handlers } from './handlers.js';

/** In-process transport: the CLI and tests call the engine directly, through the same dispatch. */
export function inProcessTransport(engine: Engine, handlers: Handlers): Transport {
  return {
    call: (method, args) => dispatch(handlers, method, args, { transport: 'in-process' }, engine.access),
    upload: async (data) => {
      const uploadId = await engine.saveUpload(Readable.from(Buffer.from(await data.arrayBuffer())));
      return { ok: true, result: { uploadId } };
    },
    subscribe: (listener) => engine.events.subscribe((e) => listener(e as ApiEvent)),
  };
}

/**
 * The door for the engine's own background callers (MQTT streams, watched folders): each call goes through dispatch
 * as `{ name, role: 'service' }`, never as the local admin an in-process call without a principal stands for, so
 * the service role's limits hold for it and its changes are audited under its name. Uploads and events are no part
 * of a service's door: it reads what it watches itself and names local paths (in-process).
 */
export function serviceDoor(engine: Engine, handlers: Handlers): ServiceDoor {
  return (name) => principalDoor(engine, handlers, { name, role: 'service' });
}

/**
 * A pipeline on a schedule (the server config's "pipelines", `hearth pipeline run --schedule`) writes an output
 * dataset, which the service role may not: it runs as `schedule:<file>` with the analyst's rights (write, never
 * admin), through dispatch, so its runs are validated and audited under that name like any caller's.
 */
export function scheduleDoor(engine: Engine, handlers: Handlers, file: string): Pick<Client, 'call'> {
  return principalDoor(engine, handlers, { name: `schedule:${file}`, role: 'analyst' });
}

function principalDoor(engine: Engine, handlers: Handlers, principal: Principal): Pick<Client, 'call'> {
  return createClient({
    call: (method, args) => dispatch(handlers, method, args, { transport: 'in-process', principal }, engine.access),
    upload: async () => ({ ok: false, error: { code: 'FORBIDDEN', message: `${principal.name} does not upload` } }),
    subscribe: () => () => undefined,
  });
}
