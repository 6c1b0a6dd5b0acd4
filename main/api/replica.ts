import { methodChangesState, type ApiMethod, type Permission } from '../contracts/index.js';
import type { Handlers } from './handlers.js';

/*
 * A replica (`hearth serve --replica`) serves the models it follows from a central box and changes nothing else:
 * every method whose contract says it may change state (contracts/method.ts changesState) is refused with
 * FORBIDDEN, whoever calls it. Reads and predictions stay (predictions are logged here, as on any box); the
 * followed aliases move by the sync agent, which acts on the engine directly, not through these handlers.
 */

const replicas = new WeakSet<Handlers>();

/** The handlers of a replica: the same functions, marked so that dispatch refuses every state-changing method. */
export function replicaHandlers(handlers: Handlers): Handlers {
  const marked: Handlers = {
    ...handlers,
    // What the console reads to say it is looking at a replica.
    'system.info': async (args, context) => ({ ...(await handlers['system.info'](args, context)), mode: 'replica' }),
  };
  replicas.add(marked);
  return marked;
}

export function isReplica(handlers: Handlers): boolean {
  return replicas.has(handlers);
}

/*
 * A standby (`hearth standby`) is read-only the same way while it follows the writer's backups, and takes writes once
 * promoted: its handlers carry a test of whether it is still following. Its promotion is the one change it takes.
 */
const standbys = new WeakMap<Handlers, () => boolean>();

/** The handlers of a standby: refusing every state-changing method while `following()` says it follows. */
export function standbyHandlers(handlers: Handlers, following: () => boolean): Handlers {
  const marked: Handlers = { ...handlers };
  standbys.set(marked, following);
  return marked;
}

const why = 'it serves the models it follows from the central box and changes nothing';
const standbyWhy = "it restores the writer's backups and changes nothing until it is promoted (`hearth promote-standby`)";

/**
 * What a replica runs although its contract says it changes state: `sync.follow` checks the followed aliases now,
 * the very thing the replica's own loop does every sync.followEverySeconds. So a hook on the central box (or an
 * operator) can notify replicas of a promotion (`POST /api/sync.follow`, write permission) instead of waiting a poll.
 */
const replicaMayRun: ReadonlySet<ApiMethod> = new Set(['sync.follow']);

/** Why `method` is refused on these handlers, or null when it may run. */
export function replicaRefusal(handlers: Handlers, method: ApiMethod): string | null {
  if (!methodChangesState[method]) return null;
  if (standbys.get(handlers)?.() === true && method !== 'sync.promote-standby')
    return `this server is a standby: ${method} changes state, and a standby ${standbyWhy}; call it on the writer`;
  if (!replicas.has(handlers) || replicaMayRun.has(method)) return null;
  return `this server is a replica: ${method} changes state, and a replica ${why}; call it on the central box`;
}

/** Why a route needing `permission` is refused on these handlers (an upload, a pushed CSV), or null. */
export function replicaRouteRefusal(handlers: Handlers, permission: Permission): string | null {
  if (permission === 'info' || permission === 'read' || permission === 'predict') return null;
  if (standbys.get(handlers)?.() === true)
    return `this server is a standby: it takes no ${permission} requests, and a standby ${standbyWhy}; send them to the writer`;
  if (!replicas.has(handlers)) return null;
  return `this server is a replica: it takes no ${permission} requests, and a replica ${why}; send them to the central box`;
}
