import { apiSchemas, type ApiMethod } from '../contracts/api.js';
import { HearthError, serializeError, type SerializedError } from '../contracts/errors.js';
import type { CallContext, Handlers } from './handlers.js';

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: SerializedError };

export function isApiMethod(method: string): method is ApiMethod {
  return Object.prototype.hasOwnProperty.call(apiSchemas, method);
}

/**
 * The one entry point every transport calls: checks the method, validates the arguments with the method's zod
 * schema, runs the handler, and returns either the result or a serialized coded error. Unexpected errors are
 * logged here (they are bugs); expected ones are not.
 */
export async function dispatch(handlers: Handlers, method: string, args: unknown, context: CallContext): Promise<DispatchResult> {
  try {
    if (!isApiMethod(method)) throw new HearthError('NOT_FOUND', `no API method "${method}"`);
    const parsed = apiSchemas[method].safeParse(args ?? {});
    if (!parsed.success) {
      throw new HearthError(
        'VALIDATION_FAILED',
        `invalid arguments for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`,
        {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        },
      );
    }
    const handler = handlers[method] as (a: unknown, c: CallContext) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data, context) };
  } catch (error) {
    const serialized = serializeError(error);
    if (!(error instanceof HearthError) && serialized.code === 'INTERNAL') {
      console.error(`[hearth] ${method} failed unexpectedly:`, error);
    }
    return { ok: false, error: serialized };
  }
}
