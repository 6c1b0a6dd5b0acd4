import { dataDirConfig, storeKeySource } from '../../settings/resolve.js';
import { randomBytes } from 'node:crypto';
import { rotateStoreKey } from '../../security/rotate-key.js';
import { restoreBackup, verifyBackup } from '../../store/backup.js';
import { text } from 'node:stream/consumers';
import type { ApiResults } from '../../contracts/api.js';
import { resolveDataDir } from '../../engine/data-dir.js';
import { type Output } from '../output.js';
import { type Command, type Flags, UsageError, optional } from '../command.js';
import { flagFor, positionalFor } from '../flags.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'create, list, verify and restore backups of the store',
  usage: `  backup create [--to FILE] [--passphrase-stdin] [--push REMOTE] | list
                                      a consistent copy of the store (database, blobs, a manifest of hashes) while it
                                      runs; with a passphrase, encrypted and carrying the store key; --push also ships
                                      it to REMOTE's registry (REPOSITORY/backups, tag latest) for \`hearth standby\`
                                      (it must be encrypted: an encrypted store, or a passphrase)
  backup verify FILE [--passphrase-stdin]
                                      unpack and check every hash, each blob against its name, the database's integrity
  backup restore FILE --data-dir DIR [--force] [--passphrase-stdin]
                                      into an empty folder (--force moves what it holds aside, never deletes it)`,
  run: async ({ rest, flags, out, open }) => {
    if (rest[0] === 'verify' || rest[0] === 'restore') return backupFile(rest, flags, out);
    const { engine, client } = open();
    const passphrase = flags['passphrase-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
    if (rest[0] === 'create') {
      // Host-only with --to (main/cli/host-only.ts): any path on this machine; backups.create writes to the backup folder.
      const remote = optional('remote', flags.push);
      const info =
        flags.to === undefined
          ? await client.call('backups.create', { ...optional('passphrase', passphrase), ...remote })
          : await engine.backup({ to: flags.to, ...optional('passphrase', passphrase), ...remote });
      out.result(
        info,
        () =>
          `Backed up ${info.files} files (${info.blobs} blobs) to ${info.file}: ${(info.bytes / 1e6).toFixed(1)} MB, ` +
          `sha256 ${info.sha256.slice(0, 16)}…${info.encrypted ? ', encrypted with the store key inside' : ' (not encrypted; the store key is not included)'}` +
          (info.shipped === null
            ? ''
            : `\nShipped to ${info.shipped.remote} (${info.shipped.repository}:${info.shipped.tag}, ${info.shipped.digest}) in ${info.shipped.ms} ms`),
      );
      return 0;
    }
    if (rest[0] === 'list') {
      const list = await client.call('backups.list', {});
      out.result(list, () =>
        list.length === 0
          ? 'No backups in the backup folder.'
          : list.map((b) => `${b.file}  ${(b.bytes / 1e6).toFixed(1)} MB  ${b.encrypted ? 'encrypted' : 'plain'}`).join('\n'),
      );
      return 0;
    }
    throw new UsageError(
      'backup create [--to FILE] [--passphrase-stdin] [--push REMOTE] | list | verify FILE | restore FILE --data-dir DIR [--force]',
    );
  },
};

export const keysCommand: Command = {
  name: 'keys',
  summary: 'generate a store key, or re-key a stopped encrypted store',
  usage: `  keys status                         whether the store is encrypted, and where its key came from (never the key)
  keys generate                       a random store key (base64) for HEARTH_STORE_KEY_FILE
  keys rotate --new-key-file FILE | --new-passphrase-stdin
                                      re-key a stopped, encrypted store (database and blobs); the current key comes
                                      from HEARTH_STORE_KEY_FILE, HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE`,
  run: async ({ rest, flags, out, open }) => {
    if (rest[0] === 'status') {
      const status = await open().client.call('store.key-status', {});
      out.result(status, () =>
        !status.encrypted
          ? 'The store is not encrypted (a key applies to new stores only: see docs/security.md).'
          : `The store is encrypted; its key came from ${status.source === 'key' ? 'HEARTH_STORE_KEY' : status.source === 'keyFile' ? `the key file ${status.keyFile ?? ''}` : 'a passphrase (HEARTH_STORE_PASSPHRASE)'}.`,
      );
      return 0;
    }
    return keys(rest, flags, out);
  },
};

export const retentionCommand: Command = {
  name: 'retention',
  summary: 'retention rules for dataset versions and prediction logs',
  usage: `  retention set dataset NAME --keep-versions N | set model NAME --log-days D | list`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [sub, kind, name] = rest;
    if (sub === 'set' && (kind === 'dataset' || kind === 'model') && name !== undefined) {
      const rule = await client.call('retention.set', {
        kind,
        name,
        keepVersions: flagFor(flags, 'keep-versions', 'retention.set', 'keepVersions') ?? null,
        logDays: flagFor(flags, 'log-days', 'retention.set', 'logDays') ?? null,
      });
      out.result(rule, () =>
        rule.kind === 'dataset'
          ? `${rule.name}: keep the newest ${rule.keepVersions} versions (and any a model was trained on)`
          : `${rule.name}: keep ${rule.logDays} days of prediction log`,
      );
      return 0;
    }
    if (sub === 'list') {
      const rules = await client.call('retention.list', {});
      out.result(rules, () =>
        rules.length === 0
          ? 'No retention rules: everything is kept.'
          : rules
              .map(
                (r) => `${r.kind} ${r.name}: ${r.kind === 'dataset' ? `${r.keepVersions} versions` : `${r.logDays} days of log`}`,
              )
              .join('\n'),
      );
      return 0;
    }
    throw new UsageError('retention set dataset NAME --keep-versions N | set model NAME --log-days D | list');
  },
};

export const gcCommand: Command = {
  name: 'gc',
  summary: 'apply retention, then delete unreferenced blobs',
  usage: `  gc [--dry-run]                      apply retention, then delete every blob nothing references (the server does
                                      this every retention.collectEveryHours, 6 by default)`,
  run: async ({ flags, out, open }) => {
    const { client } = open();
    const report = await client.call('store.gc', { dryRun: flags['dry-run'] === true });
    out.result(
      report,
      () =>
        `${report.dryRun ? 'Would remove' : 'Removed'} ${report.datasetVersionsRemoved.length} dataset versions, ` +
        `${report.predictionLogRowsRemoved} prediction-log rows, ${report.blobsRemoved} blobs and ${report.orphanFilesRemoved} stray files ` +
        `(${(report.bytesFreed / 1e6).toFixed(1)} MB)`,
    );
    return 0;
  },
};

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'every compute back end: selected, available or unavailable, and why',
  usage: `  doctor [--json]                     every compute back end of TensorFlow.js (training) and ONNX Runtime (serving):
                                      selected, available or unavailable, why, and on which device`,
  run: async ({ out, open }) => {
    const { client } = open();
    const report = await client.call('system.backends', { refresh: true });
    out.result(report.backends, () => formatBackends(report));
    return 0;
  },
};

export const backendsCommand: Command = {
  name: 'backends',
  summary: 'pin or unpin a compute back end',
  usage: `  backends pin tfjs|onnxruntime|gbdt NAME | unpin tfjs|onnxruntime|gbdt
                                      prefer a back end (a software GPU adapter included); if it stops working the
                                      automatic choice runs instead, and says so`,
  run: async ({ rest, out, open }) => {
    const { client } = open();
    const [sub, runtime, name] = rest;
    if ((sub !== 'pin' && sub !== 'unpin') || (runtime !== 'tfjs' && runtime !== 'onnxruntime' && runtime !== 'gbdt'))
      throw new UsageError('backends pin tfjs|onnxruntime|gbdt NAME | unpin tfjs|onnxruntime|gbdt');
    if (sub === 'pin' && name === undefined) throw new UsageError('backends pin takes a runtime and a back end name');
    const report = await client.call('system.pin-backend', {
      runtime,
      name: sub === 'pin' ? positionalFor(name!, 'NAME', 'system.pin-backend', 'name') : null,
    });
    out.result(report.backends, () => formatBackends(report));
    return 0;
  },
};

/** `keys generate` (a random store key, base64) and `keys rotate` (current key from the environment, new one given). */
async function keys(rest: string[], flags: Flags, out: Output): Promise<number> {
  if (rest[0] === 'generate') {
    const key = randomBytes(32).toString('base64');
    out.result({ key }, () => key);
    return 0;
  }
  if (rest[0] !== 'rotate')
    throw new UsageError('keys status | generate | rotate (--new-key-file FILE | --new-passphrase-stdin)');
  const next =
    flags['new-passphrase-stdin'] === true
      ? { passphrase: (await text(process.stdin)).trim() }
      : flags['new-key-file'] !== undefined
        ? { keyFile: flags['new-key-file'] }
        : null;
  if (next === null)
    throw new UsageError(
      'keys rotate --new-key-file FILE | --new-passphrase-stdin (the current key comes from HEARTH_STORE_KEY_FILE, HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE)',
    );
  const dataDir = resolveDataDir(flags['data-dir']);
  // The current key as the store is opened: the variables, or store.keyFile in the data folder's config file.
  const result = rotateStoreKey(dataDir, storeKeySource(dataDirConfig(dataDir)), next);
  out.result(
    result,
    () =>
      `Re-keyed the database and ${result.blobs} blobs${result.alreadyDone > 0 ? ` (${result.alreadyDone} were already under the new key)` : ''}. Stop using the old key.`,
  );
  return 0;
}

/** `backup verify FILE` and `backup restore FILE --data-dir DIR [--force]`. */
async function backupFile(rest: string[], flags: Flags, out: Output): Promise<number> {
  const [sub, file] = rest;
  if (file === undefined) throw new UsageError(`backup ${sub} FILE`);
  const passphrase = flags['passphrase-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
  if (sub === 'verify') {
    const result = await verifyBackup(file, passphrase);
    out.result(
      result,
      () =>
        `${file}: ok — ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB, every hash matches its manifest, ` +
        (result.integrityChecked
          ? "the database passes SQLite's integrity check"
          : 'the store is encrypted and no key was given, so its database was not opened') +
        `; taken ${result.manifest.createdAt} by Hearth ${result.manifest.hearthVersion}`,
    );
    return 0;
  }
  if (flags['data-dir'] === undefined)
    throw new UsageError('backup restore FILE --data-dir DIR (an empty folder; --force moves its contents aside)');
  const result = await restoreBackup(file, flags['data-dir'], {
    ...optional('passphrase', passphrase),
    force: flags.force === true,
  });
  out.result(
    result,
    () =>
      `Restored ${result.files} files into ${result.dataDir}` +
      (result.replacedTo === null ? '' : `; what it held is now in ${result.replacedTo}`) +
      (result.manifest.includesSecretKey
        ? ''
        : '\n  The backup has no store key: put the original secret.key in the folder (or set HEARTH_SECRET_KEY) to open sealed credentials.'),
  );
  return 0;
}

function formatBackends(report: ApiResults['system.backends']): string {
  const lines: string[] = [];
  const titles = {
    tfjs: 'TensorFlow.js (training the MLP)',
    onnxruntime: 'ONNX Runtime (serving)',
    gbdt: 'GBDT kernel (training boosted trees and forests)',
  } as const;
  for (const runtime of ['tfjs', 'onnxruntime', 'gbdt'] as const) {
    const pin = report.pins[runtime];
    lines.push(`${titles[runtime]}${pin === null ? '' : `, pinned: ${pin}`}`);
    for (const b of report.backends.filter((x) => x.runtime === runtime)) {
      const mark = b.status === 'selected' ? '*' : b.status === 'available' ? '+' : '-';
      lines.push(
        `  ${mark} ${b.name.padEnd(15)} ${b.status.padEnd(11)} ${b.device === null ? '' : `[${b.device}${b.software ? ', software' : ''}] `}${b.reason}`,
      );
    }
  }
  lines.push(`(* selected, + available, - unavailable; probed ${report.probedAt})`);
  return lines.join('\n');
}
