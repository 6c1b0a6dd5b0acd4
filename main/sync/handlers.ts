import type { syncMethods } from '../contracts/sync.js';
import type { PullResult, StandbyInfo } from '../contracts/api.js';
import { isAdmin, type CallContext, type HandlersOf } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import { redactText } from '../security/redact.js';
import type { SyncAgent } from './agent.js';

/** What the remotes, sync and pull methods use. */
export interface SyncHandlerDeps {
  readonly sync: SyncAgent;
  standbyInfo(): StandbyInfo;
  promoteStandby(): Promise<StandbyInfo>;
}

/** The syncMethods methods' handlers. */
export function syncHandlers(deps: SyncHandlerDeps): HandlersOf<typeof syncMethods> {
  return {
    'remotes.add': async ({ name, url, insecureHttp, username, password, token, tokenService }) =>
      deps.sync.addRemote(
        name,
        url,
        insecureHttp ?? false,
        token !== undefined
          ? { token }
          : username !== undefined && password !== undefined
            ? { username, password, ...(tokenService === undefined ? {} : { tokenService }) }
            : undefined,
      ),
    'remotes.list': async () => deps.sync.listRemotes(),
    'remotes.remove': async ({ name }) => {
      deps.sync.removeRemote(name);
      return { removed: name };
    },
    'sync.status': async () => deps.sync.status(),
    'sync.standby': async () => deps.standbyInfo(),
    'sync.promote-standby': async () => deps.promoteStandby(),
    'sync.push': async ({ remote }) => deps.sync.push(remote),
    'sync.follow': async () => deps.sync.checkFollows(),
    'remotes.follow': async ({ remote, model, alias }) => deps.sync.follow(remote, model, alias),
    'remotes.unfollow': async ({ remote, model, alias }) => {
      deps.sync.unfollow(remote, model, alias);
      return { removed: `${remote}/${model}:${alias}` };
    },
    'models.pull': async ({ url, alias, insecureHttp }, context) => {
      const aliased = alias === undefined ? {} : { alias };
      if (isAdmin(context)) return deps.sync.pull(url, { ...aliased, ...(insecureHttp === undefined ? {} : { insecureHttp }) });
      return pullAsNonAdmin(url, aliased, context);
    },
  };

  /**
   * A pull by someone other than an admin. Otherwise `models.pull` would make the server connect to any host:port
   * an analyst names and tell them what answered there: a port scanner on the box's network. So a non-admin pulls
   * only from under a configured remote (an admin chose those hosts; remotes.add is admin-only), over the scheme
   * the remote was configured with, and a URL anywhere else is refused before anything is contacted. Admins may
   * still pull from any URL: they can add it as a remote anyway. Whatever goes wrong on the way (refused, timed
   * out, an answer that is not a registry's, no such tag) reads the same to a non-admin; the server log says which.
   */
  async function pullAsNonAdmin(url: string, options: { alias?: string }, context: CallContext): Promise<PullResult> {
    // Checks the URL's form (a form error depends on the text alone, never on what listens there).
    if (deps.sync.remoteOf(url) === undefined)
      throw new HearthError(
        'FORBIDDEN',
        'only an admin may pull from a registry that is not a configured remote: pull oci://HOST/REPOSITORY/MODEL:TAG under a remote (remotes.list)',
      );
    try {
      return await deps.sync.pull(url, options);
    } catch (error) {
      // A version that arrived whole (every digest checked) but does not load says nothing about the network.
      if (error instanceof HearthError && error.code === 'MODEL_LOAD_FAILED') throw error;
      process.stderr.write(
        `${JSON.stringify({
          level: 'warn',
          event: 'models.pull',
          actor: context.principal?.name ?? null,
          url: redactText(url),
          code: error instanceof HearthError ? error.code : 'INTERNAL',
          message: redactText(error instanceof Error ? error.message : String(error)),
        })}\n`,
      );
      throw new HearthError(
        'UNAVAILABLE',
        'the remote did not serve that model (unreachable, no such tag, or not a Hearth model); an admin can read why in the server log',
      );
    }
  }
}
