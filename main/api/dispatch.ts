import { apiFastChecks, apiSchemas, type ApiMethod } from '../contracts/api.js';
import { HearthError, serializeError, type SerializedError } from '../contracts/errors.js';
import { allowed, localAdmin, methodPermission, type AccessControl } from '../security/access.js';
import type { CallContext, Handlers } from './handlers.js';
import { redactText } from '../security/redact.js';
import { replicaRefusal } from './replica.js';

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: SerializedError };

export function isApiMethod(method: string): method is ApiMethod {
  return Object.prototype.hasOwnProperty.call(apiSchemas, method);
}

/** What an audit entry names as the call's object: the model, dataset, remote or file it acted on. */
function targetOf(args: unknown): string | null {
  if (typeof args !== 'object' || args === null) return null;
  const a = args as Record<string, unknown>;
  // A pulled URL may carry userinfo or a query string: the audit log keeps where, not the secret.
  for (const key of ['name', 'model', 'dataset', 'remote', 'file', 'url', 'jobId'])
    if (typeof a[key] === 'string') return redactText(a[key]);
  return null;
}

/** An error's details, redacted as its message is; dropped if the redaction left no JSON (it never should). */
function redactDetails(details: unknown): unknown {
  try {
    return JSON.parse(redactText(JSON.stringify(details))) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The one entry point every transport calls: checks the method, the caller's role (a refusal is audited), validates
 * the arguments with the method's zod schema, runs the handler, audits every call that changes something, and
 * returns either the result or a serialized coded error. Unexpected errors are logged here (they are bugs); expected
 * ones are not. The local user (CLI, desktop) is the box's admin; with no access control given, nothing is audited.
 */
export async function dispatch(
  handlers: Handlers,
  method: string,
  args: unknown,
  context: CallContext,
  access?: AccessControl,
): Promise<DispatchResult> {
  // The local user (CLI, desktop) is the box's admin; a network caller is never anyone by default.
  const principal = context.principal ?? (context.transport === 'http' ? null : localAdmin);
  if (principal === null) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'a valid API token is required' } };
  let audited = false;
  const audit = (outcome: 'ok' | 'failed' | 'denied', code: string | null): void => {
    if (access === undefined || !audited) return;
    access.audit({
      actor: principal.name,
      role: principal.role,
      transport: context.transport,
      remote: context.remote ?? null,
      action: method,
      target: targetOf(args),
      outcome,
      code,
    });
  };
  try {
    if (!isApiMethod(method)) throw new HearthError('NOT_FOUND', `no API method "${method}"`);
    const permission = methodPermission[method];
    // Reads and predictions are not audited (the prediction log records those); everything else is.
    audited = permission !== 'info' && permission !== 'read' && permission !== 'predict';
    if (!allowed(principal.role, permission)) {
      audited = true;
      throw new HearthError('FORBIDDEN', `${principal.name} (${principal.role}) may not call ${method}`);
    }
    const replica = replicaRefusal(handlers, method);
    if (replica !== null) {
      audited = true;
      throw new HearthError('FORBIDDEN', replica);
    }
    const input = args ?? {};
    // A hot method's hand-written check answers a copy of arguments its schema accepts as they are; zod decides the rest.
    const checked = apiFastChecks[method]?.(input);
    const parsed = checked !== undefined ? { success: true as const, data: checked } : apiSchemas[method].safeParse(input);
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
    const result = await handler(parsed.data, context);
    audit('ok', null);
    return { ok: true, result };
  } catch (error) {
    // Error messages reach every role and the audit log: whatever URL or password=… one quotes leaves without its
    // secret (a connection string in a pipeline error, a token in a registry's Location).
    const raw = serializeError(error);
    const serialized: SerializedError = { code: raw.code, message: redactText(raw.message) };
    if (raw.details !== undefined) {
      const details = redactDetails(raw.details);
      if (details !== undefined) serialized.details = details;
    }
    audit(serialized.code === 'FORBIDDEN' ? 'denied' : 'failed', serialized.code);
    if (!(error instanceof HearthError) && serialized.code === 'INTERNAL') {
      console.error(`[hearth] ${method} failed unexpectedly:`, error);
    }
    return { ok: false, error: serialized };
  }
}
