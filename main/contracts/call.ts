import type { ApiEventName, ApiEvents } from './events.js';
import type { ApiMethod, ApiParsedArgs, ApiResults } from './index.js';

/*
 * What every domain's handlers (main/<domain>/handlers.ts) share: who is calling, and the shape of a handler. Here,
 * on the ground floor, so a domain's handlers import nothing from main/api/ (the floor above them).
 */

/** Who is calling: a named token's holder, a console session, or the local user (main/api/access.ts's Principal). */
export interface Caller {
  name: string;
  role: 'admin' | 'analyst' | 'viewer' | 'service';
}

/** The local user (CLI, desktop): the box's admin. */
export const localCaller: Caller = { name: 'local', role: 'admin' };

/** Who is calling: decides what a caller may name (local paths only for in-process callers). */
export type CallContext =
  | {
      /** Over HTTP the caller is always named: a request with no identity never reaches dispatch. */
      transport: 'http';
      principal: Caller;
      /** The caller's address, for the audit log. */
      remote?: string;
    }
  | {
      transport: 'ipc' | 'in-process';
      /** Who is calling; absent for the local user (the CLI, the desktop app), who is the box's admin. */
      principal?: Caller;
      remote?: string;
    };

/** The caller, the local user when none is named. */
export function callerOf(context: CallContext): Caller {
  return context.principal ?? localCaller;
}

/**
 * Whether the caller is an admin: the one role shown secrets (a pipeline file's connection strings, a webhook's full
 * URL), since it is the role that writes them. The local user (CLI, desktop) is the box's admin.
 */
export function isAdmin(context: CallContext): boolean {
  return callerOf(context).role === 'admin';
}

/** One method's handler: its parsed arguments and its caller in, its result out. */
export type Handler<K extends ApiMethod> = (args: ApiParsedArgs<K>, context: CallContext) => Promise<ApiResults[K]>;

/** A domain's handlers: one per method of its contract map(s) (`typeof xMethods`), no more, no fewer. */
export type HandlersOf<M> = { [K in keyof M & ApiMethod]: Handler<K> };

/** Where a service sends engine events (the engine's EngineEvents). */
export interface EventSink {
  emit<K extends ApiEventName>(name: K, data: ApiEvents[K]): void;
}
