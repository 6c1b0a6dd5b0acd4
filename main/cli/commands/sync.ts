import { text } from 'node:stream/consumers';
import type { FollowInfo, StandbyInfo } from '../../contracts/api.js';
import { type Command, UsageError } from '../command.js';

export const remoteCommand: Command = {
  name: 'remote',
  summary: 'OCI registries to push models to, and remote aliases to follow',
  usage: `  remote add NAME oci://HOST[:PORT]/REPO [--username U --password-stdin [--token-service URL] | --token-stdin] [--insecure-http]
         | list | remove NAME
         | follow NAME MODEL --alias A | unfollow NAME MODEL --alias A
                                      OCI registries to push models to (plain HTTP: loopback only); follow
                                      keeps a local alias on what a remote alias names, hot-swapping serving`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [action, name, url] = rest;
    if (action === 'add') {
      if (name === undefined || url === undefined) throw new UsageError('remote add NAME oci://HOST[:PORT]/REPOSITORY');
      // Secrets come on standard input, never as arguments (which other users can read in the process list).
      if (flags['password-stdin'] === true && flags.username === undefined)
        throw new UsageError('--password-stdin needs --username');
      const secret =
        flags['password-stdin'] === true || flags['token-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
      const remote = await client.call('remotes.add', {
        name,
        url,
        insecureHttp: flags['insecure-http'] === true,
        ...(flags['token-stdin'] === true && secret !== undefined ? { token: secret } : {}),
        ...(flags['password-stdin'] === true && secret !== undefined ? { username: flags.username, password: secret } : {}),
        ...(flags['token-service'] === undefined ? {} : { tokenService: flags['token-service'] }),
      });
      out.result(remote, () => `Added remote ${remote.name} (${remote.url}); ${remote.pending} events to send`);
      return 0;
    }
    if (action === 'remove') {
      if (name === undefined) throw new UsageError('remote remove NAME');
      out.result(await client.call('remotes.remove', { name }), () => `Removed remote ${name}`);
      return 0;
    }
    if (action === 'list') {
      const remotes = await client.call('remotes.list', {});
      out.result(remotes, () =>
        remotes.length === 0
          ? 'No remotes.'
          : remotes
              .map(
                (r) =>
                  `${r.name}  ${r.url}  pending ${r.pending}, sent ${r.sent}${r.lastError ? `, last error: ${r.lastError}` : ''}`,
              )
              .join('\n'),
      );
      return 0;
    }
    if (action === 'follow' || action === 'unfollow') {
      if (name === undefined || url === undefined || flags.alias === undefined)
        throw new UsageError(`remote ${action} NAME MODEL --alias ALIAS`);
      if (action === 'unfollow') {
        out.result(
          await client.call('remotes.unfollow', { remote: name, model: url, alias: flags.alias }),
          () => 'Stopped following',
        );
        return 0;
      }
      await client.call('remotes.follow', { remote: name, model: url, alias: flags.alias });
      // The first check runs now, so the command says whether the remote alias could be pulled.
      const follows = await client.call('sync.follow', {});
      const f = follows.find((x) => x.remote === name && x.model === url && x.alias === flags.alias)!;
      out.result(f, () => followLine(f));
      return f.status === 'current' ? 0 : 1;
    }
    throw new UsageError('remote takes add, list, remove, follow or unfollow');
  },
};

export const syncCommand: Command = {
  name: 'sync',
  summary: 'the sync outbox: status, push now, check followed aliases now',
  usage: `  sync status | push [--remote NAME] | follow | standby
                                      the outbox of versions, alias moves and metrics snapshots; send it now;
                                      check followed aliases now (the server does both in the background);
                                      standby: this box's standby state (what it follows, its restore, its lag) and
                                      the backups it ships (sync.standby)`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    if (rest[0] === 'status') {
      const status = await client.call('sync.status', {});
      out.result(
        status,
        () =>
          `pending ${status.pending}, sent ${status.sent}, failed attempts ${status.failed}${status.lastError ? `\nlast error: ${status.lastError}` : ''}` +
          status.follows.map((f) => `\n${followLine(f)}`).join(''),
      );
      return 0;
    }
    if (rest[0] === 'follow') {
      const follows = await client.call('sync.follow', {});
      out.result(follows, () => follows.map(followLine).join('\n') || 'This box follows no remote alias.');
      return follows.some((f) => f.status === 'failed' || f.status === 'rolled-back') ? 1 : 0;
    }
    if (rest[0] === 'push') {
      const results = await client.call('sync.push', flags.remote === undefined ? {} : { remote: flags.remote });
      out.result(
        results,
        () =>
          results.map((r) => `${r.remote}: sent ${r.sent}${r.error ? `, stopped: ${r.error}` : ''}`).join('\n') || 'No remotes.',
      );
      return results.some((r) => r.error !== null) ? 1 : 0;
    }
    if (rest[0] === 'standby') {
      const info = await client.call('sync.standby', {});
      out.result(info, () => standbyLines(info).join('\n'));
      return 0;
    }
    throw new UsageError('sync takes status, push, follow or standby');
  },
};

export const pullCommand: Command = {
  name: 'pull',
  summary: 'pull a model version from an OCI registry, every digest verified',
  usage: `  pull oci://HOST[:PORT]/REPO/MODEL:TAG | …@sha256:DIGEST [--alias A] [--insecure-http]
                                      pull a model version, verify every digest, register it with its lineage`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    if (rest.length !== 1) throw new UsageError('pull takes one oci://… reference');
    const pulled = await client.call('models.pull', {
      url: rest[0]!,
      insecureHttp: flags['insecure-http'] === true,
      ...(flags.alias === undefined ? {} : { alias: flags.alias }),
    });
    out.result(
      pulled,
      () =>
        `${pulled.registered ? 'Pulled' : 'Already had'} ${pulled.model} v${pulled.version} (${pulled.digest})${pulled.alias === null ? '' : `; ${pulled.alias} → v${pulled.version}`}`,
    );
    return 0;
  },
};

function followLine(f: FollowInfo): string {
  const where = f.localVersion === null ? 'nothing pulled yet' : `local v${f.localVersion}`;
  return `follow ${f.remote}/${f.model}:${f.alias}: ${f.status}, ${where}${f.lastError === null ? '' : ` — ${f.lastError}`}`;
}

function standbyLines(info: StandbyInfo): string[] {
  const last = info.shipping.last;
  return [
    info.role === 'none'
      ? 'This box is not a standby.'
      : info.role === 'writer'
        ? `A promoted standby: the writer since ${info.promotedAt}.`
        : `Standby of ${info.from}: ` +
          (info.digest === null
            ? 'no backup restored yet.'
            : `serving the backup of ${info.backupCreatedAt} (${info.digest.slice(0, 19)}…), restored ${info.lagSeconds} s after it was taken.`),
    ...(info.lastError === null ? [] : [`last check: ${info.lastError}`]),
    info.shipping.remote === null
      ? 'Backups are not shipped (config backups.remote).'
      : last === null
        ? `Backups ship to ${info.shipping.remote}; none shipped yet by this process.`
        : last.error !== null
          ? `Shipping to ${info.shipping.remote} failed at ${last.at}: ${last.error}`
          : `Last backup shipped to ${info.shipping.remote} at ${last.at}: ${last.bytes} bytes in ${last.ms} ms (${last.tag}).`,
  ];
}
