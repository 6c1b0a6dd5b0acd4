import { Readable } from 'node:stream';
import type { ApiEvent } from '../contracts/api.js';
import type { Transport } from '../contracts/transport.js';
import type { Engine } from '../engine/engine.js';
import { dispatch } from './dispatch.js';
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
