import type { ApiArgs, ApiEvent, ApiMethod, ApiResults } from './index.js';
import type { SerializedError } from './errors.js';
import type { CallOutcome, Transport } from './transport.js';

export type { CallOutcome, Transport };

/*
 * The one typed client, used by the renderer over IPC or HTTP and by tests and scripts over HTTP or in-process.
 * It imports contract types only, and nothing but fetch-era web APIs, so it runs in the browser and in Node.
 */

/** A coded error from the engine, on the client side. */
export class ApiError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(error: SerializedError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.details = error.details;
  }
}

export interface Client {
  call<K extends ApiMethod>(method: K, args: ApiArgs<K>): Promise<ApiResults[K]>;
  upload(data: Blob, fileName: string): Promise<string>;
  on(listener: (event: ApiEvent) => void): () => void;
}

/**
 * How a background service (an MQTT stream, a watched folder) reaches the engine: the door opens a client for the
 * named service-role identity, every call through dispatch() (validation, permissions, audit) as that identity.
 * The service names itself (`stream:…`, `watch:…`); the role is fixed by the door, so a service cannot raise it.
 */
export type ServiceDoor = (name: string) => Pick<Client, 'call'>;

export function createClient(transport: Transport): Client {
  const unwrap = (outcome: CallOutcome): unknown => {
    if (outcome.ok) return outcome.result;
    throw new ApiError(outcome.error);
  };
  return {
    call: async <K extends ApiMethod>(method: K, args: ApiArgs<K>) => unwrap(await transport.call(method, args)) as ApiResults[K],
    upload: async (data, fileName) => (unwrap(await transport.upload(data, fileName)) as { uploadId: string }).uploadId,
    on: (listener) => transport.subscribe(listener),
  };
}

async function outcomeOf(response: Response): Promise<CallOutcome> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'INTERNAL', message: `unreadable response (HTTP ${response.status})` } };
  }
  if (response.ok) return { ok: true, result: body };
  const e = body as Partial<SerializedError> | null;
  return {
    ok: false,
    error: {
      code: e?.code ?? 'INTERNAL',
      message: e?.message ?? `HTTP ${response.status}`,
      ...(e?.details === undefined ? {} : { details: e.details }),
    },
  };
}

/** HTTP transport: POST /api/<method>, PUT /api/uploads, and server-sent events from GET /api/events. */
/**
 * HTTP to a Hearth server. With a token, each request carries it as a bearer token; without one (the web console),
 * the browser's HttpOnly session cookie authenticates, set by POST /api/session.
 */
export function httpTransport(options: { baseUrl: string; token?: string }): Transport {
  const base = options.baseUrl.replace(/\/$/, '');
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  return {
    call: async (method, args) => {
      try {
        const response = await fetch(`${base}/api/${method}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(args ?? {}),
        });
        return await outcomeOf(response);
      } catch (error) {
        return { ok: false, error: { code: 'INTERNAL', message: `cannot reach Hearth at ${base}: ${String(error)}` } };
      }
    },
    upload: async (data, fileName) => {
      const response = await fetch(`${base}/api/uploads?fileName=${encodeURIComponent(fileName)}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: data,
      });
      return outcomeOf(response);
    },
    subscribe: (listener) => {
      const controller = new AbortController();
      let delay = 500;
      const connect = async (): Promise<void> => {
        while (!controller.signal.aborted) {
          try {
            const response = await fetch(`${base}/api/events`, { headers: auth, signal: controller.signal });
            if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
            delay = 500;
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            let buffer = '';
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += value;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const name = /^event: (.*)$/m.exec(frame)?.[1];
                const data = /^data: (.*)$/m.exec(frame)?.[1];
                if (name !== undefined && data !== undefined) listener({ name, data: JSON.parse(data) as unknown } as ApiEvent);
              }
            }
          } catch {
            // Connection dropped: retry with backoff until unsubscribed.
          }
          if (controller.signal.aborted) return;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 10_000);
        }
      };
      void connect();
      return () => controller.abort();
    },
  };
}

/** The web console's sign-in: exchanges a token for a session cookie; answers who signed in. */
export async function signIn(baseUrl: string, token: string): Promise<CallOutcome> {
  const response = await fetch(`${baseUrl.replace(/\/$/, '')}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  return outcomeOf(response);
}

export async function currentSession(baseUrl: string): Promise<CallOutcome> {
  return outcomeOf(await fetch(`${baseUrl.replace(/\/$/, '')}/api/session`));
}

export async function signOut(baseUrl: string): Promise<void> {
  await fetch(`${baseUrl.replace(/\/$/, '')}/api/session`, { method: 'DELETE' });
}
